-- Register problems: rows of the council's latest register files (budgets,
-- plan lines, providers) that were set aside, and for each whether the last
-- good version from an earlier file still stands in the books (pipelines/register.py).
WITH latest AS (
    SELECT kind, file_id, path, status, seen_at FROM (
        SELECT *, row_number() OVER (PARTITION BY kind ORDER BY seq DESC) AS k
        FROM land.ingest_log
        WHERE kind IN ('budgets', 'plan_lines', 'providers') AND status <> 'duplicate')
    WHERE k = 1),
standing AS (
    SELECT 'budgets' AS register, budget_id AS key, file_id, source_line FROM core.budgets
    UNION ALL SELECT 'plan_lines', budget_id || ' / ' || line_id, file_id, source_line FROM core.plan_lines
    UNION ALL SELECT 'providers', provider_id, file_id, source_line FROM core.providers)
SELECT l.kind AS register, l.path, l.status AS file_status, q.line, h.key, q.reason,
       s.source_line AS kept_line, CAST(kept.seen_at AS DATE) AS kept_loaded_on
FROM latest l
JOIN land.quarantine q ON q.file_id = l.file_id
LEFT JOIN land.register_held h ON h.file_id = q.file_id AND h.line = q.line
LEFT JOIN standing s ON s.register = l.kind AND s.key = h.key AND s.file_id <> l.file_id
LEFT JOIN land.ingest_log kept ON kept.file_id = s.file_id
ORDER BY l.kind, q.line NULLS FIRST, h.key
