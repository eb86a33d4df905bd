-- The same after creating what pgsift suggests, with the alternatives it did not choose (jsonb_path_ops, the old partial index).
SET log_min_duration_statement = -1;
CREATE INDEX ON contacts (email); CREATE INDEX ON contacts (phone);
CREATE INDEX docs_attrs ON documents USING gin (attrs); CREATE INDEX ON documents USING gin (tags);
CREATE INDEX ON tickets (tenant_id, status); CREATE INDEX ON tickets (priority);
ANALYZE contacts; ANALYZE documents; ANALYZE tickets;
-- The queries of before.sql (its table q).
SELECT name, ms(sql), ms(sql), ms(sql) FROM q;
EXPLAIN SELECT id, name FROM contacts WHERE email = 'contact234786@example.com' OR phone = '+33' || (600000000 + 234786);
EXPLAIN SELECT count(*) FROM tickets WHERE priority = 'high';
-- jsonb_path_ops for @> alone
DROP INDEX docs_attrs; CREATE INDEX docs_path ON documents USING gin (attrs jsonb_path_ops); ANALYZE documents;
SELECT 'jsonb @> path_ops' AS name, ms($q$SELECT id FROM documents WHERE attrs @> '{"size": 17}'$q$), ms($q$SELECT id FROM documents WHERE attrs @> '{"size": 17}'$q$);
SELECT pg_size_pretty(pg_relation_size('docs_path')) AS path_ops_size;
DROP INDEX docs_path; CREATE INDEX docs_attrs ON documents USING gin (attrs);
SELECT pg_size_pretty(pg_relation_size('docs_attrs')) AS jsonb_ops_size;
-- the partial index the old advice would have made, for the closed tickets
DROP INDEX tickets_tenant_id_status_idx; CREATE INDEX tickets_open ON tickets (tenant_id) WHERE status = 'open'; ANALYZE tickets;
SELECT 'closed, partial only' AS name, ms($q$SELECT id, subject FROM tickets WHERE tenant_id = 26 AND status = 'closed'$q$), ms($q$SELECT id, subject FROM tickets WHERE tenant_id = 26 AND status = 'closed'$q$);
