-- The families' evidence returns: five set-based queries, one result each for
-- every return not yet received (audit.evidence_returns.received_at IS NULL,
-- overdue ones included). render.py splits this file on the "-- name:" lines
-- and groups the rows by (budget_id, period_start) in Python, so the cost is
-- five queries however many thousand returns there are.

-- name: returns
-- One row per return: who it is for, when it is due, and the period's statement.
SELECT r.budget_id, r.period_start, r.period_end, r.due_date, r.items_evidenced,
       r.items_outstanding, r.eligibility_status,
       b.holder_name, b.cohort, b.managed_by, b.weekly_contribution,
       p.opening_balance, p.council_paid, p.contributions_due, p.contributions_paid,
       p.spent, p.closing_balance
FROM audit.evidence_returns r
LEFT JOIN audit.budgets b USING (budget_id)
LEFT JOIN audit.budget_positions p USING (budget_id, period_start)
WHERE r.received_at IS NULL
ORDER BY r.budget_id, r.period_start;

-- name: lines
-- Planned against spent for every plan line in each return's period.
SELECT lp.budget_id, lp.period_start, lp.line_id, lp.outcome_domain, lp.category,
       pl.need, lp.planned, lp.spent
FROM audit.line_positions lp
JOIN (SELECT budget_id, period_start FROM audit.evidence_returns WHERE received_at IS NULL) r
  USING (budget_id, period_start)
LEFT JOIN audit.plan_lines pl USING (budget_id, line_id)
ORDER BY lp.budget_id, lp.period_start, length(lp.line_id), lp.line_id;

-- name: payments
-- Payments in each return's period that need evidence, and whether an evidence
-- item of the same budget already names them (by the bank's id or the printed
-- reference), as audit.evidence_returns.items_evidenced counts them.
WITH wanted AS (
  SELECT budget_id, period_start, period_end
  FROM audit.evidence_returns WHERE received_at IS NULL
), refs AS (
  SELECT DISTINCT budget_id, transaction_ref AS ref
  FROM land.evidence_items WHERE transaction_ref IS NOT NULL
)
SELECT w.budget_id, w.period_start, t.transaction_id, t.date,
       coalesce(nullif(trim(t.payee), ''), nullif(trim(t.memo), '')) AS payee,
       -t.amount AS paid, t.evidence_ref,
       EXISTS (SELECT 1 FROM refs e
               WHERE e.budget_id = t.budget_id
                 AND (e.ref = t.transaction_id OR e.ref = t.evidence_ref)) AS evidenced
FROM wanted w
JOIN audit.transactions t
  ON t.budget_id = w.budget_id AND t.date BETWEEN w.period_start AND w.period_end
WHERE t.needs_evidence
ORDER BY w.budget_id, w.period_start, t.date, t.transaction_id;

-- name: outcomes
-- The outcomes each budget's support plan is for (asked about once each).
SELECT DISTINCT budget_id, outcome_domain
FROM audit.plan_lines
WHERE budget_id IN (SELECT budget_id FROM audit.evidence_returns WHERE received_at IS NULL)
ORDER BY budget_id, outcome_domain;

-- name: actions
-- Open exceptions a family must act on, for every budget with a return to send
-- (letter.py's FAMILY_ACTIONS says which rules, and what to ask of the family).
SELECT e.budget_id, e.rule_code, e.period_start, e.period_end, e.amount, e.explanation
FROM audit.exceptions e
WHERE e.status IN ('open', 'confirmed')
  AND e.budget_id IN (SELECT budget_id FROM audit.evidence_returns WHERE received_at IS NULL)
ORDER BY e.budget_id, e.period_start, e.rule_code, e.exception_id;
