// The index advisor: parse-tree facts on hand-picked statements, the schema reader, and the advice on real logs.
import Advisors
import Foundation
import Reports
import Statistics
import Testing

func facts(_ sql: String, catalog: SchemaCatalog? = nil) throws -> StatementFacts {
  try #require(QueryAnalyzer.analyze(sql, catalog: catalog))
}

func access(_ f: StatementFacts, _ table: String) throws -> TableAccess {
  try #require(f.accesses.first { $0.table.name == table }, "no access to \(table)")
}

@Suite("Index advisor: statement facts")
struct QueryAnalyzerTests {
  @Test("aliases and joins resolve to tables; join keys on both sides")
  func joins() throws {
    let f = try facts(
      """
      SELECT c.country, count(*) FROM orders o JOIN customers c ON c.id = o.customer_id
      WHERE o.status = 'pending' AND o.created_at > now() - interval '2 hours' GROUP BY 1 ORDER BY 2 DESC
      """)
    let orders = try access(f, "orders")
    #expect(orders.equalities.map(\.column) == ["status"])
    guard case .constant(let text, let location)? = orders.equalities.first?.value else {
      Issue.record("not a constant: \(String(describing: orders.equalities.first))")
      return
    }
    #expect(text == "'pending'" && location != nil)
    #expect(orders.ranges == ["created_at"])
    #expect(orders.joinKeys == ["customer_id"])
    #expect(try access(f, "customers").joinKeys == ["id"])
  }

  @Test("constants as written, read from the parse tree's JSON: escapes, other scripts, numbers, booleans")
  func constants() throws {
    let f = try facts(
      "SELECT * FROM t WHERE a = 'tab\there \"quoted\" back\\slash \u{e9} \u{1F600}\nline' AND b = 5 AND c = 1.5 "
        + "AND d = true AND e = $3 AND f = 'it''s'")
    let t = try access(f, "t")
    let values = Dictionary(uniqueKeysWithValues: t.equalities.map { ($0.column, $0.value) })
    func text(_ column: String) -> String? {
      guard case .constant(let text, _)? = values[column] else { return nil }
      return text
    }
    #expect(text("a") == "'tab\there \"quoted\" back\\slash \u{e9} \u{1F600}\nline'")
    // (libpg_query 15's JSON leaves a negative integer constant's value out, so `-5` would read as 0, as it
    // did through JSONSerialization.)
    #expect(text("b") == "5")
    #expect(text("c") == "1.5")
    #expect(text("d") == "true")
    #expect(values["e"] == .parameter(3))
    #expect(text("f") == "'it''s'")
  }

  @Test("sort with LIMIT, IN lists, IS NULL, BETWEEN, = ANY, parameters")
  func predicates() throws {
    let f = try facts(
      "SELECT * FROM t WHERE a = $1 AND b IN (1, 2) AND c IS NULL AND d BETWEEN 1 AND 5 AND e = ANY($2) ORDER BY f DESC LIMIT 10"
    )
    let t = try access(f, "t")
    #expect(t.equalities.map(\.column) == ["a", "b", "c", "e"])
    #expect(t.equalities.first?.value == .parameter(1))
    #expect(t.ranges == ["d"])
    #expect(t.sorts == [TableAccess.SortColumn(column: "f", descending: true)])
    #expect(t.limited)
  }

  @Test("predicates no btree serves are named, with why")
  func unusable() throws {
    let f = try facts(
      "SELECT * FROM users u WHERE lower(u.email) = 'a' AND u.name ILIKE 'x%' AND u.bio LIKE '%cat%' AND u.state <> 3 AND u.code LIKE 'AB%'"
    )
    let users = try access(f, "users")
    let reasons = users.unusable.map(\.reason)
    // lower(u.email) = …: an expression an index can hold, without the alias.
    #expect(!reasons.contains { $0.contains("lower()") })
    #expect(users.expressions == [TableAccess.IndexExpression(sql: "lower(email)", column: "email", isEquality: true)])
    #expect(reasons.contains { $0.contains("ILIKE") })
    #expect(reasons.contains { $0.contains("leading wildcard") })
    #expect(reasons.contains { $0.contains("not-equal") })
    #expect(users.ranges == ["code"])
    #expect(users.likePrefixes == ["code"])
    #expect(users.equalities.isEmpty)
  }

  @Test("functions and casts of one column become index expressions; anything else stays a finding")
  func expressions() throws {
    let f = try facts(
      "SELECT 1 FROM t WHERE date_trunc('day', t.created_at) = '2026-01-01' AND t.total::int > 3 "
        + "AND coalesce(t.a, t.b) = 1 AND upper(name) = $1")
    let t = try access(f, "t")
    #expect(
      t.expressions == [
        TableAccess.IndexExpression(sql: "date_trunc('day', created_at)", column: "created_at", isEquality: true),
        TableAccess.IndexExpression(sql: "(total)::int4", column: "total", isEquality: false),
        TableAccess.IndexExpression(sql: "upper(name)", column: "name", isEquality: true),
      ])
    // Two columns in one expression: no index expression, the finding stays.
    #expect(t.unusable.contains { $0.column == "a" && $0.reason.hasPrefix("an expression on the column") })
  }

  @Test("CTEs, subqueries in FROM, IN and correlated EXISTS")
  func nesting() throws {
    let f = try facts(
      """
      WITH recent AS (SELECT * FROM events WHERE created_at > now() - interval '5 minutes')
      SELECT r.kind FROM recent r
      WHERE r.customer_id IN (SELECT id FROM customers WHERE country = 'FR')
        AND EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = r.customer_id AND o.status = 'paid')
      """)
    #expect(try access(f, "events").ranges == ["created_at"])
    #expect(!f.accesses.contains { $0.table.name == "recent" })
    #expect(try access(f, "customers").equalities.map(\.column) == ["country"])
    let orders = try access(f, "orders")
    #expect(orders.equalities.map(\.column) == ["status"])
  }

  @Test("writes: UPDATE SET columns, INSERT ... SELECT, ON CONFLICT, DELETE, COPY")
  func writes() throws {
    let update = try facts("UPDATE orders SET status = 'shipped', total = total + 1 WHERE customer_id = 7")
    #expect(update.writes.first?.kind == .update)
    #expect(update.writes.first?.setColumns == ["status", "total"])
    #expect(try access(update, "orders").equalities.map(\.column) == ["customer_id"])
    #expect(try access(update, "orders").isRead == false)
    let insert = try facts(
      "INSERT INTO events (customer_id, kind) SELECT customer_id, 'ship' FROM orders WHERE id = $1")
    #expect(insert.writes.map(\.table.name) == ["events"])
    #expect(try access(insert, "orders").isRead)
    let upsert = try facts("INSERT INTO kv (k, v) VALUES ('a', 'b') ON CONFLICT (k) DO UPDATE SET v = excluded.v")
    #expect(upsert.writes.map(\.kind) == [.insert, .update])
    #expect(upsert.writes.last?.setColumns == ["v"])
    #expect(try facts("DELETE FROM events WHERE id = 5").writes.first?.kind == .delete)
    #expect(try facts("COPY events FROM STDIN").writes.first?.kind == .copy)
    #expect(try facts("COPY (SELECT * FROM events) TO STDOUT").writes.isEmpty)
  }

  @Test("unqualified columns in a join are placed with the schema's help")
  func catalogResolution() throws {
    var catalog = SchemaCatalog()
    catalog.load(script: "CREATE TABLE a (id int PRIMARY KEY, x int); CREATE TABLE b (id int PRIMARY KEY, y int);")
    let f = try facts("SELECT * FROM a JOIN b ON a.id = b.id WHERE y = 3", catalog: catalog)
    #expect(try access(f, "b").equalities.map(\.column) == ["y"])
    #expect(try access(f, "a").equalities.isEmpty)
  }
}

@Suite("Index advisor: schema")
struct SchemaCatalogTests {
  @Test("pg_dump --schema-only output: tables, primary keys, indexes, psql meta-commands")
  func pgDump() {
    var catalog = SchemaCatalog()
    let unreadable = catalog.load(
      script: """
        \\restrict abc
        SET statement_timeout = 0;
        SELECT pg_catalog.set_config('search_path', '', false);
        CREATE TABLE public.orders (
            id integer NOT NULL,
            customer_id integer NOT NULL,
            created_at timestamp with time zone NOT NULL
        );
        ALTER TABLE ONLY public.orders
            ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
        CREATE INDEX orders_customer ON public.orders USING btree (customer_id, created_at);
        CREATE UNIQUE INDEX orders_lower ON public.orders USING btree (lower((customer_id)::text)) WHERE (id > 0);
        \\unrestrict abc
        """)
    #expect(unreadable == 0)
    let table = TableName(schema: nil, name: "orders")
    #expect(catalog.table(table)?.columns.map(\.type) == ["int4", "int4", "timestamptz"])
    let indexes = catalog.indexes(on: table)
    #expect(indexes.contains { $0.primary && $0.columns == ["id"] })
    #expect(indexes.contains { $0.name == "orders_customer" && $0.columns == ["customer_id", "created_at"] })
    #expect(indexes.contains { $0.unique && $0.partial && $0.columns == ["(expression)"] })
  }
}

@Suite("Index advisor on real logs")
struct IndexAdviceTests {
  static func advice(_ arguments: [String]) throws -> AnalysisReport {
    let result = try pgsift(["analyze", "--format", "json"] + arguments)
    #expect(result.status == 0, "\(result.stderr)")
    return try result.report()
  }

  static func find(
    _ report: AnalysisReport, _ table: String, _ columns: [String], where predicate: String? = nil
  )
    -> IndexSuggestionReport?
  {
    report.indexSuggestions.first { $0.table == table && $0.columns == columns && $0.where == predicate }
  }

  @Test("shop: an index for each slow shape that lacks one, with write costs", arguments: [false, true])
  func shop(withSchema: Bool) throws {
    var arguments = [Paths.shop.appendingPathComponent("postgresql.log.gz").path]
    if withSchema { arguments += ["--schema", Paths.shop.appendingPathComponent("schema.sql").path] }
    let report = try Self.advice(arguments)
    #expect(report.schemaVersion == AnalysisReport.currentSchemaVersion)
    let byCustomer = try #require(Self.find(report, "orders", ["customer_id", "created_at"]))
    #expect(byCustomer.fingerprints.contains("c93ce44f4179576b"))
    #expect(
      byCustomer.ddl
        == "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_created_at_idx ON orders (customer_id, created_at);"
    )
    #expect(byCustomer.writeCost.hotBreakingUpdates.isEmpty, "nothing updates customer_id or created_at")
    #expect(!byCustomer.writeCost.warnings.contains("breaks-hot"))
    #expect(Self.find(report, "customers", ["email"]) != nil)
    let events = try #require(Self.find(report, "events", ["customer_id"], where: "kind = 'buy'"))
    // Writes outnumber reads on events, but no INSERT of the log writes kind 'buy': not write-heavy for this
    // partial index (PartialWriteCostTests).
    #expect(events.writeCost.writes >= events.writeCost.reads)
    #expect(events.writeWarning == nil)
    // status = 'pending' in every sampled execution, but 2,355 UPDATEs set status: a partial index on it would
    // stop them being HOT, so it is left out (measured: HOT updates fell from 64% to 17% with it).
    #expect(Self.find(report, "orders", ["created_at"], where: "status = 'pending'") == nil)
    let pending = try #require(Self.find(report, "orders", ["created_at"]))
    #expect(pending.reasons.contains { $0.hasPrefix("status = 'pending' left out: UPDATEs set status (2,355 calls") })
    #expect(pending.writeWarning == nil && pending.writeCost.hotBreakingUpdates.isEmpty)
    #expect(pending.writeCost.keyOrder == "append-only")
    // Only the writes that add an entry count: the UPDATEs of status do not touch (created_at), DELETEs never.
    #expect(pending.writeCost.indexWrites == pending.writeCost.inserts + pending.writeCost.copies)
    let eventInserts = try #require(events.writeCost.partialInserts)
    #expect(events.writeCost.indexWrites == eventInserts.matching + eventInserts.unknown + events.writeCost.copies)
    #expect(events.reasons.contains { $0.contains("in every execution of the log") })
    #expect(Self.find(report, "order_items", ["product_id"]) != nil)
    // Never a primary key, never the tiny kv table.
    #expect(!report.indexSuggestions.contains { $0.columns == ["id"] || $0.table == "kv" })
    // Ranked by the time of the calls served, a query served by two suggestions split between them.
    #expect(report.indexSuggestions.map(\.totalMs) == report.indexSuggestions.map(\.totalMs).sorted(by: >))
    let join = try #require(Self.find(report, "order_items", ["order_id"]))
    #expect(join.served.first?.share == 0.5)
    #expect(byCustomer.served.first { $0.fingerprint == join.fingerprints[0] }?.share == 0.5)
    let atStake = report.indexSuggestions.reduce(0.0) { $0 + $1.totalMs }
    let served = Set(report.indexSuggestions.flatMap(\.fingerprints))
    let queries = report.queries.filter { served.contains($0.fingerprint) }.reduce(0.0) { $0 + $1.totalMs }
    #expect(abs(atStake - queries) < 0.01, "each query's time counted once over all suggestions")
    for suggestion in report.indexSuggestions {
      #expect(suggestion.confidence == "heuristic")
      #expect(suggestion.validated == nil)
      #expect(suggestion.writeCost.explanation.contains("log_min_duration_statement"))
      #expect(suggestion.columns.count <= 3)
    }
    #expect(report.writeCountNote.contains("does not look filtered"))
  }

  @Test("an existing index in --schema removes the suggestion it covers")
  func existingIndex() throws {
    let scratch = try TemporaryDirectory()
    let schema = scratch.path("schema.sql")
    try
      (String(contentsOf: Paths.shop.appendingPathComponent("schema.sql"), encoding: .utf8)
      + "\nCREATE INDEX orders_by_customer ON orders (customer_id, created_at, total);\n")
      .write(toFile: schema, atomically: true, encoding: .utf8)
    let report = try Self.advice([Paths.shop.appendingPathComponent("postgresql.log.gz").path, "--schema", schema])
    #expect(Self.find(report, "orders", ["customer_id", "created_at"]) == nil)
    #expect(Self.find(report, "customers", ["email"]) != nil)
  }

  @Test("text report lists the DDL and the write-count caveat")
  func text() throws {
    let result = try pgsift(["analyze", Paths.shop.appendingPathComponent("postgresql.log.gz").path])
    #expect(result.stdout.contains("Index suggestions (from the log alone: heuristic)"))
    #expect(result.stdout.contains("CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_email_idx ON customers (email);"))
    #expect(result.stdout.contains("status = 'pending' left out: UPDATEs set status"))
    #expect(result.stdout.contains("ms at stake"))
    let flowing = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    #expect(flowing.contains("new entries go to the rightmost page, the cheap case"))
    #expect(result.stdout.contains("log_statement = 'mod'"))
  }

  @Test("--no-index-advice leaves it out; a missing --schema file is an input problem")
  func options() throws {
    let log = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    #expect(try Self.advice([log, "--no-index-advice"]).indexSuggestions.isEmpty)
    let missing = try pgsift(["analyze", log, "--schema", "/no/schema.sql", "--format", "json"])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("/no/schema.sql: cannot read the schema file"))
  }
}

@Suite("Index advisor on a workload it was not written against")
struct UnseenWorkloadTests {
  static let blog = Paths.fixtures.appendingPathComponent("blog")

  @Test("blog: other tables and query shapes", arguments: ["log", "csv", "json"])
  func blog(format: String) throws {
    let report = try IndexAdviceTests.advice([Self.blog.appendingPathComponent("postgresql.\(format).gz").path])
    let comments = try #require(IndexAdviceTests.find(report, "comments", ["post_id", "created_at"]))
    #expect(comments.writeWarning == "write-heavy")
    let posts = try #require(IndexAdviceTests.find(report, "posts", ["author_id", "published_at"]))
    // The correlated EXISTS probes posts by id and author_id; both shapes are served by the same index.
    #expect(posts.fingerprints.count == 2)
    // UPDATE posts SET status does not touch the index's columns.
    #expect(!posts.writeCost.warnings.contains("breaks-hot"))
    #expect(posts.writeCost.updates > 0)
    // No suggestion where a primary key serves (UPDATE posts ... WHERE id = …).
    #expect(!report.indexSuggestions.contains { $0.table == "posts" && $0.columns == ["id"] })
    // Listed, not suggested.
    #expect(
      report.unusablePredicates.contains { $0.table == "posts" && $0.column == "title" && $0.reason.contains("ILIKE") })
    // lower(email) = …: an index on the same expression, not a finding.
    #expect(!report.unusablePredicates.contains { $0.table == "authors" })
    let byEmail = try #require(IndexAdviceTests.find(report, "authors", ["lower(email)"]))
    #expect(
      byEmail.ddl == "CREATE INDEX CONCURRENTLY IF NOT EXISTS authors_lower_email_idx ON authors ((lower(email)));")
    #expect(byEmail.reasons == ["lower(email) = …: an index on the expression serves it"])
  }

  @Test("blog: pg_stat_statements agrees here too")
  func oracle() throws {
    let expected = try OracleTests.pgStatStatementsCalls(Self.blog.appendingPathComponent("pg_stat_statements.csv"))
    let report = try IndexAdviceTests.advice([Self.blog.appendingPathComponent("postgresql.log.gz").path])
    let calls = Dictionary(uniqueKeysWithValues: report.queries.map { ($0.fingerprint, $0.calls) })
    for (fingerprint, count) in expected where !OracleTests.extendedProtocolUtilities.contains(fingerprint) {
      #expect(calls[fingerprint] == count, "fingerprint \(fingerprint)")
    }
  }
}

@Suite("Index advisor: safe partial indexes, primary keys, selectivity (fixtures/tickets)")
struct TicketsAdviceTests {
  static let log = Paths.fixtures.appendingPathComponent("tickets/postgresql.log.gz").path

  @Test("a value in most executions but not all joins the key; a column with three values is ranked last")
  func partialOnlyWhenSafe() throws {
    let report = try IndexAdviceTests.advice([Self.log])
    // 'open' in most calls, 'closed' in the others (grep counts both): (tenant_id, status), not a partial index.
    let open = try grepCount("FROM tickets WHERE tenant_id = [0-9]+ AND status = .open.", in: "zcat '\(Self.log)'")
    let closed = try grepCount("FROM tickets WHERE tenant_id = [0-9]+ AND status = .closed.", in: "zcat '\(Self.log)'")
    #expect(open > 10 * closed && closed > 0)
    #expect(!report.indexSuggestions.contains { $0.table == "tickets" && $0.where != nil })
    let byTenant = try #require(IndexAdviceTests.find(report, "tickets", ["tenant_id", "status"]))
    #expect(byTenant.reasons.contains { $0.hasPrefix("status stays in the key: 'open' in ") }, "\(byTenant.reasons)")
    // Three priorities, a third of the rows each: flagged and ranked after every other suggestion.
    let priority = try #require(IndexAdviceTests.find(report, "tickets", ["priority"]))
    #expect(priority.lowSelectivity?.hasPrefix("likely low-selectivity: 3 distinct values of priority") == true)
    #expect(report.indexSuggestions.last?.columns == ["priority"])
    #expect(report.indexSuggestions.dropLast().allSatisfy { $0.lowSelectivity == nil })
  }

  @Test("the samples all show one value, the log's executions another too: no partial index")
  func everyExecutionNotSamples() throws {
    let dir = try TemporaryDirectory()
    // The run's lines with one closed-ticket execution only, at the end: every sampled execution is 'open'.
    let log = dir.path("one-closed.log")
    try shell(
      "zcat '\(Self.log)' | grep -v \"status = 'closed'\" > '\(log)' && "
        + "zcat '\(Self.log)' | grep -m1 \"status = 'closed'\" >> '\(log)'")
    let report = try IndexAdviceTests.advice([log])
    #expect(!report.indexSuggestions.contains { $0.table == "tickets" && $0.where != nil })
    let byTenant = try #require(IndexAdviceTests.find(report, "tickets", ["tenant_id", "status"]))
    #expect(
      byTenant.reasons.contains {
        $0.contains("in all 16 sampled executions but not in every execution of the log")
      }, "\(byTenant.reasons)")
    // Without the closed one, 'open' is in every execution: a partial index.
    let onlyOpen = dir.path("only-open.log")
    try shell("zcat '\(Self.log)' | grep -v \"status = 'closed'\" > '\(onlyOpen)'")
    let partial = try IndexAdviceTests.advice([onlyOpen])
    let index = try #require(IndexAdviceTests.find(partial, "tickets", ["tenant_id"], where: "status = 'open'"))
    #expect(index.reasons.contains { $0.hasPrefix("partial: status = 'open' in every execution of the log") })
  }

  @Test("no schema and no DDL in the log: agents.id is taken for the primary key, and the report says so")
  func primaryKeyByConvention() throws {
    let report = try IndexAdviceTests.advice([Self.log])
    #expect(!report.indexSuggestions.contains { $0.table == "agents" })
    #expect(report.assumedPrimaryKeys == ["agents.id"])
    let text = try pgsift(["analyze", Self.log]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    #expect(text.contains("Not suggested: agents.id, taken for primary keys by ORM convention"))
    #expect(IndexAdvisor.conventionalKeys(of: "categories").contains("category_id"))
    #expect(IndexAdvisor.conventionalKeys(of: "orders") == ["id", "orders_id", "order_id"])
  }
}

@Suite("Index advisor: GIN for jsonb, arrays and text search (fixtures/documents)")
struct DocumentsAdviceTests {
  static let log = Paths.fixtures.appendingPathComponent("documents/postgresql.log.gz").path

  @Test("containment and key existence on one jsonb column share a default GIN; array overlap gets its own")
  func gin() throws {
    let report = try IndexAdviceTests.advice([Self.log])
    let attrs = try #require(IndexAdviceTests.find(report, "documents", ["attrs"]))
    #expect(
      attrs.ddl == "CREATE INDEX CONCURRENTLY IF NOT EXISTS documents_attrs_gin_idx ON documents USING gin (attrs);")
    #expect(attrs.fingerprints.count == 2)
    let tags = try #require(IndexAdviceTests.find(report, "documents", ["tags"]))
    #expect(tags.ddl == "CREATE INDEX CONCURRENTLY IF NOT EXISTS documents_tags_gin_idx ON documents USING gin (tags);")
    #expect(tags.reasons == ["tags && …: GIN on the array"])
    #expect(!report.unusablePredicates.contains { $0.table == "documents" })
  }

  @Test("a jsonb column only tested with @> gets jsonb_path_ops")
  func pathOps() throws {
    let dir = try TemporaryDirectory()
    let log = dir.path("containment.log")
    try shell("zcat '\(Self.log)' | grep -v \"attrs ? 'discount'\" > '\(log)'")
    let report = try IndexAdviceTests.advice([log])
    let attrs = try #require(IndexAdviceTests.find(report, "documents", ["attrs jsonb_path_ops"]))
    #expect(
      attrs.ddl
        == "CREATE INDEX CONCURRENTLY IF NOT EXISTS documents_attrs_gin_idx ON documents USING gin (attrs jsonb_path_ops);"
    )
    #expect(attrs.writeCost.indexEntryBytes == nil && attrs.writeCost.keyOrder == nil)
  }

  @Test("what the operand is: a JSON document, an array, a text search; unknown left to a finding")
  func operands() throws {
    let f = try #require(
      QueryAnalyzer.analyze(
        "SELECT 1 FROM d WHERE a @> '{\"x\": 1}' AND b && ARRAY[1] AND c ? 'k' AND e @> '{1,2}' "
          + "AND to_tsvector('english', body) @@ to_tsquery('cat') AND g @> $1"))
    let d = try #require(f.accesses.first)
    let operands = Dictionary(uniqueKeysWithValues: d.ginPredicates.map { ($0.key, $0.operand) })
    #expect(operands["a"] == .json && operands["b"] == .array && operands["e"] == .array && operands["g"] == .unknown)
    #expect(operands["to_tsvector('english', body)"] == .textSearch)
    #expect(d.unusable.contains { $0.column == "g" && $0.reason.contains("--schema tells which kind") })
  }
}

@Suite("Index advisor: an OR of two columns (fixtures/contacts)")
struct ContactsAdviceTests {
  @Test("email = … OR phone = …: an index on each column, the query's time split between them")
  func bitmapOr() throws {
    let log = Paths.fixtures.appendingPathComponent("contacts/postgresql.log.gz").path
    let report = try IndexAdviceTests.advice([log])
    let email = try #require(IndexAdviceTests.find(report, "contacts", ["email"]))
    let phone = try #require(IndexAdviceTests.find(report, "contacts", ["phone"]))
    for index in [email, phone] {
      #expect(index.reasons == ["email = … OR phone = …: one index for each branch, combined by a BitmapOr"])
      #expect(index.served.map(\.share) == [0.5])
    }
    let query = try #require(report.queries.first { $0.fingerprint == email.fingerprints[0] })
    #expect(abs(email.totalMs + phone.totalMs - query.totalMs) < 0.01)
    #expect(query.calls == (try grepCount("FROM contacts WHERE email = ", in: "zcat '\(log)'")))
  }
}

@Suite("Index advisor: the write cost of a partial index (fixtures/queue, fixtures/tasks, fixtures/shop)")
struct PartialWriteCostTests {
  @Test("an INSERT adds an entry only when its row matches the predicate: exactly when its value never changes")
  func noInsertMatches() throws {
    let report = try IndexAdviceTests.advice([Paths.shop.appendingPathComponent("postgresql.log.gz").path])
    let partial = try #require(report.indexSuggestions.first { $0.table == "events" && $0.where == "kind = 'buy'" })
    let inserts = try #require(partial.writeCost.partialInserts)
    // The shop's INSERTs into events write kind 'view' or 'ship' (pg_stat_statements counts each shape's calls):
    // none matches, and they were told exactly, not estimated. The one left is the setup's INSERT … SELECT, whose
    // kind is an expression.
    let records = try CSVRecords.parse(
      String(contentsOf: Paths.shop.appendingPathComponent("pg_stat_statements.csv"), encoding: .utf8))
    let calls = try #require(records.first?.firstIndex(of: "calls"))
    let query = try #require(records.first?.firstIndex(of: "query"))
    let viewOrShip = records.dropFirst().filter {
      $0.count > query && $0[query].hasPrefix("INSERT INTO events (customer_id, kind")
        && !$0[query].contains("generate_series")
    }.reduce(0) { $0 + (Int($1[calls]) ?? 0) }
    #expect(viewOrShip > 4_000)
    #expect(inserts.notMatching == viewOrShip && inserts.matching == 0 && inserts.estimated == 0)
    #expect(inserts.unknown == 1)
    #expect(partial.writeCost.indexWrites == 1)
    #expect(!partial.writeCost.warnings.contains("write-heavy"))
    #expect(partial.writeCost.explanation.contains("0 add rows matching its predicate"))
    // A full index on the same table still takes every INSERT.
    let full = try #require(report.indexSuggestions.first { $0.table == "events" && $0.where == nil })
    #expect(full.writeCost.partialInserts == nil)
    #expect(full.writeCost.indexWrites >= viewOrShip)
  }

  @Test("an INSERT whose value changes between executions: its share judged from the samples, close to grep's count")
  func insertsEstimated() throws {
    let log = Paths.fixtures.appendingPathComponent("queue/postgresql.log.gz").path
    let report = try IndexAdviceTests.advice([log])
    let partial = try #require(report.indexSuggestions.first { $0.table == "jobs" && $0.where == "state = 'ready'" })
    #expect(partial.columns == ["queue", "id"])
    let inserts = try #require(partial.writeCost.partialInserts)
    let ready = try grepCount("statement: INSERT INTO jobs .* VALUES \\([0-9]+, .ready., .job.\\)", in: "zcat '\(log)'")
    let done = try grepCount("statement: INSERT INTO jobs .* VALUES \\([0-9]+, .done., .job.\\)", in: "zcat '\(log)'")
    let batches = try grepCount("statement: INSERT INTO jobs .* .batch.\\), ", in: "zcat '\(log)'")
    #expect(ready > 2 * done && done > 0 && batches > 0)
    #expect(inserts.matching + inserts.notMatching == ready + done + batches)
    #expect(inserts.estimated == ready + done + batches)
    // Every batch has a ready row and a done row: it adds an entry. The single-row INSERTs are judged from
    // 16 samples: within three standard errors of the true share.
    let single = Double(ready + done)
    let share = Double(ready) / single
    let tolerance = 3 * (share * (1 - share) / Double(QueryStats.sampleLimit)).squareRoot() * single
    #expect(abs(Double(inserts.matching - batches) - Double(ready)) <= tolerance, "\(inserts), \(ready) ready")
    #expect(partial.writeCost.indexWrites == inserts.matching)
  }

  @Test(
    "a prepared INSERT's status is a bind parameter: its share judged from the samples' logged values, in stderr and csvlog",
    arguments: ["postgresql.log.gz", "postgresql.csv.gz"])
  func bindParameters(file: String) throws {
    let tasks = Paths.fixtures.appendingPathComponent("tasks")
    let report = try IndexAdviceTests.advice([tasks.appendingPathComponent(file).path])
    // The worker's query writes status = 0 in its text, in every execution: a partial index.
    let partial = try #require(report.indexSuggestions.first { $0.table == "tasks" && $0.where == "status = 0" })
    #expect(partial.columns == ["queue", "id"])
    let inserts = try #require(partial.writeCost.partialInserts)
    // The producer's INSERT is `VALUES ($1, $2, 'task')`, its status in `DETAIL: parameters` (grep's count of the
    // stderr log, where each execution's parameters follow it).
    let stderr =
      "zcat '\(tasks.appendingPathComponent("postgresql.log.gz").path)' | grep -A1 'execute P_[0-9]*: INSERT INTO tasks'"
    let queued = try grepCount("parameters: .1 = .[0-9]+., .2 = .0.$", in: stderr)
    let done = try grepCount("parameters: .1 = .[0-9]+., .2 = .2.$", in: stderr)
    #expect(queued > 2 * done && done > 0)
    #expect(inserts.unknown == 0 && inserts.estimated == queued + done, "\(inserts)")
    #expect(inserts.matching + inserts.notMatching == queued + done)
    let share = Double(queued) / Double(queued + done)
    let tolerance = 3 * (share * (1 - share) / Double(QueryStats.sampleLimit)).squareRoot() * Double(queued + done)
    #expect(abs(Double(inserts.matching) - Double(queued)) <= tolerance, "\(inserts), \(queued) queued")
    #expect(inserts.notMatching > 0)
    #expect(partial.writeCost.explanation.contains("judged from their sampled executions"))
    // Read in pieces of 4 KiB, a statement's parameters often come in the piece after it: the same samples.
    let pieces = try IndexAdviceTests.advice([tasks.appendingPathComponent(file).path, "--chunk-size", "4096"])
    #expect(pieces.indexSuggestions.first { $0.where == "status = 0" }?.writeCost.partialInserts == inserts)
  }
}
