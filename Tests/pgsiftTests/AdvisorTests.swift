// The index advisor: parse-tree facts on hand-picked statements, the schema reader, and the advice on real logs.
import Advisors
import Foundation
import Reports
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
    #expect(orders.equalities.first?.value == .constant("'pending'"))
    #expect(orders.ranges == ["created_at"])
    #expect(orders.joinKeys == ["customer_id"])
    #expect(try access(f, "customers").joinKeys == ["id"])
  }

  @Test("sort with LIMIT, IN lists, IS NULL, BETWEEN, = ANY, parameters")
  func predicates() throws {
    let f = try facts(
      "SELECT * FROM t WHERE a = $1 AND b IN (1, 2) AND c IS NULL AND d BETWEEN 1 AND 5 AND e = ANY($2) ORDER BY f DESC LIMIT 10"
    )
    let t = try access(f, "t")
    #expect(t.equalities.map(\.column) == ["a", "b", "c", "e"])
    #expect(t.equalities.first?.value == .parameter)
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
    #expect(reasons.contains { $0.contains("lower()") })
    #expect(reasons.contains { $0.contains("ILIKE") })
    #expect(reasons.contains { $0.contains("leading wildcard") })
    #expect(reasons.contains { $0.contains("not-equal") })
    #expect(users.ranges == ["code"])
    #expect(users.likePrefixes == ["code"])
    #expect(users.equalities.isEmpty)
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
    #expect(events.writeWarning == "write-heavy")
    #expect(events.writeCost.writes >= events.writeCost.reads)
    let pending = try #require(Self.find(report, "orders", ["created_at"], where: "status = 'pending'"))
    #expect(pending.writeWarning == "breaks-hot")
    #expect(pending.writeCost.hotBreakingUpdates.first?.columns == ["status"])
    #expect(Self.find(report, "order_items", ["product_id"]) != nil)
    // Never a primary key, never the tiny kv table.
    #expect(!report.indexSuggestions.contains { $0.columns == ["id"] || $0.table == "kv" })
    // Ranked by slow time served.
    #expect(report.indexSuggestions.map(\.slowMs) == report.indexSuggestions.map(\.slowMs).sorted(by: >))
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
    #expect(result.stdout.contains("[breaks-hot]"))
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
    #expect(
      report.unusablePredicates.contains {
        $0.table == "authors" && $0.column == "email" && $0.reason.contains("lower()")
      })
    #expect(!report.indexSuggestions.contains { $0.table == "authors" })
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
