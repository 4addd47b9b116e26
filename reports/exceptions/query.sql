-- The officers' exception report: every exception still needing attention
-- (open, or decided as confirmed/referred), newest period first.
SELECT e.exception_id, e.rule_code, e.severity, e.status, e.budget_id, b.holder_name,
       e.period_start, e.period_end, e.amount, e.explanation, e.evidence,
       e.first_seen, e.last_seen
FROM audit.exceptions e
LEFT JOIN (SELECT DISTINCT budget_id, holder_name FROM core.budgets) b USING (budget_id)
WHERE e.status NOT IN ('resolved', 'dismissed', 'recovered')
ORDER BY CASE e.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
         e.amount DESC NULLS LAST, e.exception_id
