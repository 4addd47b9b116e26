-- name: notices
-- Each recovery with what the notice needs: the exception behind it and the budget's holder.
SELECT r.recovery_id, r.exception_id, r.budget_id, r.amount, r.repaid, r.method, r.status,
       e.rule_code, e.explanation, e.evidence, e.period_start, e.period_end,
       b.holder_name, b.account_id, b.payment_amount
FROM core.recoveries r
JOIN core.exceptions e USING (exception_id)
LEFT JOIN core.budgets b ON b.budget_id = r.budget_id
ORDER BY r.recovery_id;

-- name: evidence
-- The transactions (by account) and invoices (by budget) an exception names, in date order.
SELECT w.recovery_id, t.transaction_id AS ref, t.date, t.payee AS party, -t.amount AS amount
FROM __wanted w JOIN core.transactions t ON t.account_id = w.account_id AND t.transaction_id = w.ref
UNION ALL
SELECT w.recovery_id, i.invoice_id, i.issue_date, i.provider_id, i.amount
FROM __wanted w JOIN core.invoices i ON i.budget_id = w.budget_id AND i.invoice_id = w.ref
ORDER BY 1, 3, 2
