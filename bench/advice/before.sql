-- The fixtures' slow shapes timed with EXPLAIN ANALYZE on the bare tables (run.sh loads them first).
\timing off
SET log_min_duration_statement = -1;
CREATE OR REPLACE FUNCTION ms(q text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE r json; BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || q INTO r;
  RETURN round((r->0->>'Execution Time')::numeric, 3);
END $$;
-- The queries, kept for after.sql.
CREATE TABLE q(name text, sql text);
INSERT INTO q VALUES
 ('or', $q$SELECT id, name FROM contacts WHERE email = 'contact234786@example.com' OR phone = '+33' || (600000000 + 234786)$q$),
 ('jsonb @>', $q$SELECT id FROM documents WHERE attrs @> '{"size": 17}'$q$),
 ('jsonb ?', $q$SELECT count(*) FROM documents WHERE attrs ? 'discount'$q$),
 ('array &&', $q$SELECT id FROM documents WHERE tags && ARRAY['t974']$q$),
 ('open', $q$SELECT id, subject FROM tickets WHERE tenant_id = 26 AND status = 'open'$q$),
 ('closed', $q$SELECT id, subject FROM tickets WHERE tenant_id = 26 AND status = 'closed'$q$),
 ('priority', $q$SELECT count(*) FROM tickets WHERE priority = 'high'$q$);
SELECT name, ms(sql), ms(sql), ms(sql) FROM q;
