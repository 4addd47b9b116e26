-- Bank corrections behind exceptions still needing attention: a transaction an
-- exception rests on that the bank sent again with different content. The later
-- statement's version stands (audit.corrections keeps what it replaced).
SELECT e.exception_id, e.rule_code, e.budget_id, c.transaction_id, c.changes,
       c.was_path, c.was_line, c.now_path, c.now_line
FROM audit.exceptions e
JOIN core.budgets b USING (budget_id)
JOIN audit.corrections c
  ON c.account_id = b.account_id
 AND list_contains(string_split(coalesce(e.evidence, ''), ' '), c.transaction_id)
WHERE e.status NOT IN ('resolved', 'dismissed', 'recovered')
ORDER BY e.budget_id, e.exception_id, c.transaction_id, c.was_path
