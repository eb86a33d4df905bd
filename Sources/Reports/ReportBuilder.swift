// Builds the report model from the aggregates and what was read.
import Fingerprint
import LogInput
import Statistics

public enum ReportBuilder {
  public static func build(
    aggregator: StatementAggregator, files: [FileSummary], diagnostics: Diagnostics, generator: String
  ) -> AnalysisReport {
    let errorCounts = aggregator.errorsByFingerprint
    var queries = aggregator.queries.map { query(from: $0, aggregator: aggregator, errors: errorCounts) }
    queries.sort { ($0.totalMs, $0.calls, $1.fingerprint) > ($1.totalMs, $1.calls, $0.fingerprint) }
    let s = aggregator.summary
    let formats = Set(files.compactMap(\.format))
    var problems: [String: Int] = [:]
    for (kind, count) in diagnostics.counts where count > 0 { problems[kind.rawValue] = count }
    let input = InputSummary(
      files: files, lines: files.reduce(0) { $0 + $1.lines }, entries: files.reduce(0) { $0 + $1.entries },
      skippedLines: files.reduce(0) { $0 + $1.skippedLines },
      format: formats.count == 1 ? formats.first! : (formats.isEmpty ? "none" : "mixed"), problems: problems)
    let summary = Summary(
      statements: s.timedStatements, slowStatements: s.slowStatements, totalMs: ms(s.totalUs),
      fingerprints: aggregator.queries.count, untimedStatements: s.untimedStatements, prepareSteps: s.prepareSteps,
      bareDurations: s.bareDurations, errors: s.errors,
      unparsedFingerprints: aggregator.queries.filter { $0.fingerprint.source == .lexer }.count,
      first: s.first?.iso8601, last: s.last?.iso8601)
    let errors = aggregator.errorGroups.sorted { ($0.count, $1.message) > ($1.count, $0.message) }.map {
      group in
      ErrorGroupReport(
        severity: group.severity.name, message: group.message, fingerprint: group.fingerprint?.hex, count: group.count,
        exampleMessage: group.example.message, exampleDetail: group.example.detail, exampleHint: group.example.hint,
        exampleStatement: group.example.statement, firstSeen: group.firstSeen?.iso8601,
        lastSeen: group.lastSeen?.iso8601)
    }
    return AnalysisReport(
      generator: generator, thresholdMs: ms(aggregator.thresholdUs), input: input, summary: summary, queries: queries,
      errors: errors)
  }

  static func ms(_ us: Int64) -> Double { Double(us) / 1000 }

  static func query(from q: QueryStats, aggregator: StatementAggregator, errors: [Fingerprint: Int]) -> Query {
    func names(_ counts: [Int32: Int]) -> [NameCount] {
      counts.map { NameCount(name: aggregator.name($0.key), calls: $0.value) }
        .sorted { ($0.calls, $1.name) > ($1.calls, $0.name) }
    }
    let timed = q.calls > 0
    return Query(
      fingerprint: q.fingerprint.hex, fingerprintSource: q.fingerprint.source.rawValue, parseError: q.parseError,
      normalized: q.normalized, example: q.example, exampleParameters: q.exampleParameters,
      exampleMs: q.exampleDurationUs >= 0 ? ms(q.exampleDurationUs) : nil, calls: q.calls, slowCalls: q.slowCalls,
      totalMs: ms(q.totalUs), slowMs: ms(q.slowTotalUs), minMs: timed ? ms(q.minUs) : nil,
      maxMs: timed ? ms(q.maxUs) : nil, meanMs: timed ? (q.meanUs / 1000 * 1000).rounded() / 1000 : nil,
      p50Ms: timed ? ms(q.distribution.valueUs(atPercentile: 50)) : nil,
      p95Ms: timed ? ms(q.distribution.valueUs(atPercentile: 95)) : nil,
      p99Ms: timed ? ms(q.distribution.valueUs(atPercentile: 99)) : nil, prepareMs: ms(q.prepareUs),
      untimedCalls: q.untimedCalls, errors: errors[q.fingerprint] ?? 0, databases: names(q.databases),
      users: names(q.users), applications: names(q.applications), firstSeen: q.firstSeen?.iso8601,
      lastSeen: q.lastSeen?.iso8601)
  }
}
