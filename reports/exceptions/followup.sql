-- name: audits_due
-- Who to audit this month: every live budget whose next audit falls on or before the month's last day
-- (overdue ones first), with the reasons in words.
SELECT p.budget_id, b.holder_name, p.tier, p.risk_score, p.next_audit_due, p.last_audit, p.review_due,
       p.risk_reasons, p.next_audit_due < ? AS overdue
FROM core.audit_plan p LEFT JOIN core.budgets b USING (budget_id)
WHERE p.next_audit_due IS NOT NULL AND p.next_audit_due <= ?
ORDER BY p.next_audit_due, p.risk_score DESC, p.budget_id;

-- name: recoveries
-- Every recovery, with what is still owed and whether it is past its due date.
SELECT r.recovery_id, r.budget_id, b.holder_name, r.exception_id, e.rule_code, r.amount, r.repaid,
       CASE WHEN r.status IN ('notified', 'part_repaid') THEN r.amount - r.repaid ELSE 0.00 END AS outstanding,
       r.notified_on, r.due_on, r.repaid_on, r.status, r.method,
       r.status IN ('notified', 'part_repaid') AND r.due_on < ? AS overdue
FROM core.recoveries r LEFT JOIN core.budgets b USING (budget_id) LEFT JOIN core.exceptions e USING (exception_id)
ORDER BY overdue DESC, r.due_on NULLS FIRST, r.recovery_id
