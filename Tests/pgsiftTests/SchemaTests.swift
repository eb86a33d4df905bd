// docs/report.schema.json (JSON Schema draft 2020-12) describes the JSON report (issue 19): every bundled log's
// report validates against it, and since the schema allows no undocumented key, a field added to the report
// without the schema fails here. Validated with Python's jsonschema.
import Foundation
import Testing

@Suite("JSON Schema")
struct SchemaTests {
  static let schema = Paths.root.appendingPathComponent("docs/report.schema.json").path
  static let hasValidator: Bool = {
    (try? run("/usr/bin/env", ["python3", "-c", "import jsonschema"]).status) == 0
  }()

  static let logs: [String] =
    GoldenReportTests.cases.map(\.log) + [
      "fixtures/tenants/postgresql.log.gz", "fixtures/tags/postgresql.log.gz", "fixtures/secrets/postgresql.log.gz",
      "fixtures/hostile/postgresql.log",
      "fixtures/cloud-exports/cloudsql.ndjson.gz", "fixtures/cloud-exports/azure-flexible.json.gz",
      "fixtures/cloudnativepg/pod.log.gz", "fixtures/localized/postgresql-de.log.gz",
      "fixtures/auto_explain/postgresql-json.log.gz", "fixtures/blog/postgresql.json.gz",
    ]

  @Test(
    "every bundled log's JSON report validates against docs/report.schema.json, which is a valid 2020-12 schema",
    .enabled(if: hasValidator, "needs Python's jsonschema (pip install jsonschema, or Debian's python3-jsonschema)"))
  func validates() throws {
    let dir = try TemporaryDirectory()
    var reports: [String] = []
    for (index, log) in Self.logs.enumerated() {
      let out = dir.path("\(index).json")
      let result = try pgsift([
        "analyze", Paths.root.appendingPathComponent(log).path, "--format", "json", "-q", "-o", out,
      ])
      #expect([0, 2].contains(result.status), "\(log): \(result.stderr)")
      reports.append(out)
    }
    // Reports of nothing: an empty file, a missing one, lines that are no log (their fields are null).
    try "".write(toFile: dir.path("empty.log"), atomically: true, encoding: .utf8)
    try "not a log\nat all\n".write(toFile: dir.path("garbage.log"), atomically: true, encoding: .utf8)
    for name in ["empty.log", "missing.log", "garbage.log"] {
      let out = dir.path("\(name).json")
      #expect(try pgsift(["analyze", dir.path(name), "--format", "json", "-q", "-o", out]).status == 2)
      reports.append(out)
    }
    // A report with a filter, a fold and a --state run with nothing new have their own fields filled.
    let state = dir.path("state")
    let shop = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    for (name, options) in [
      ("filtered", ["--exclude-query", "^BEGIN", "--database", "shop"]),
      ("folded", ["--max-fingerprints", "100"]), ("first", ["--state", state]), ("again", ["--state", state]),
    ] {
      let out = dir.path("\(name).json")
      let log = name == "folded" ? Paths.fixtures.appendingPathComponent("cardinality/postgresql.log.gz").path : shop
      #expect(try pgsift(["analyze", log, "--format", "json", "-q", "-o", out] + options).status == 0)
      reports.append(out)
    }
    let failures = try Self.failures(reports)
    #expect(failures.isEmpty, "\(failures)")
  }

  /// What the schema says of each report file (empty when all are valid); the schema itself is checked too.
  static func failures(_ reports: [String]) throws -> String {
    let check = """
      import json, sys, jsonschema
      schema = json.load(open(sys.argv[1]))
      jsonschema.Draft202012Validator.check_schema(schema)
      validator = jsonschema.Draft202012Validator(schema)
      failed = 0
      for path in sys.argv[2:]:
          for error in list(validator.iter_errors(json.load(open(path))))[:3]:
              failed += 1
              print(path, "/".join(map(str, error.absolute_path)), error.message[:300])
      sys.exit(1 if failed else 0)
      """
    let result = try run("/usr/bin/env", ["python3", "-c", check, Self.schema] + reports)
    return result.status == 0 ? "" : result.stdout + result.stderr
  }

  @Test(
    "the schema rejects a report with an undocumented key or a negative count",
    .enabled(if: hasValidator, "needs Python's jsonschema"))
  func rejects() throws {
    let check = """
      import json, sys, jsonschema
      schema = json.load(open(sys.argv[1]))
      report = json.loads(sys.stdin.read())
      validator = jsonschema.Draft202012Validator(schema)
      extra = json.loads(json.dumps(report)); extra["summary"]["surprise"] = 1
      negative = json.loads(json.dumps(report)); negative["summary"]["statements"] = -1
      print(len(list(validator.iter_errors(report))), validator.is_valid(extra), validator.is_valid(negative))
      """
    let dir = try TemporaryDirectory()
    let out = dir.path("r.json")
    _ = try pgsift(["analyze", Paths.shop.appendingPathComponent("postgresql.log.gz").path, "-q", "-o", out])
    let result = try run("/usr/bin/env", ["python3", "-c", check, Self.schema], stdinFile: out)
    #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0 False False", "\(result.stderr)")
  }
}
