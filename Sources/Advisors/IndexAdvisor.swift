// The index advisor: from each slow query's parse tree, a candidate index per table (equality columns first,
// then one range column, then the sort columns; at most three), made partial when one constant appears in
// nearly every execution; candidates that are prefixes of one another merged; what the schema already has
// dropped; ranked by the slow time they serve; each with the write cost from the same log.
import Fingerprint
import Statistics

public struct IndexAdvice: Sendable {
  public var suggestions: [IndexSuggestion]
  /// Suggestions a live database checked and found not worth it (the cost fell by less than half).
  public var rejected: [IndexSuggestion] = []
  public var unusable: [UnusableFinding]
  public var tables: [TableActivity]
  /// Statements analyzed, and how many libpg_query could not parse.
  public var analyzedFingerprints: Int
  public var unparsedFingerprints: Int
}

public struct IndexAdvisor {
  public static let maxColumns = 3
  /// Share of sampled executions that must use one constant for it to become a partial-index predicate.
  public static let partialShare = 0.9
  /// Tables with fewer rows than this (known from a live database) get no suggestion: a scan is as cheap.
  public static let tinyTableRows = 1_000.0

  public var catalog: SchemaCatalog
  public let thresholdUs: Int64
  /// Length of the log in minutes, for writes per minute.
  public let minutes: Double

  public init(catalog: SchemaCatalog, thresholdUs: Int64, minutes: Double) {
    self.catalog = catalog
    self.thresholdUs = thresholdUs
    self.minutes = minutes
  }

  public mutating func advise(_ queries: [QueryStats]) -> IndexAdvice {
    // Parse every fingerprint once; DDL in the log tells what already exists.
    var parsed: [(QueryStats, StatementFacts)] = []
    var unparsed = 0
    for query in queries {
      let text = query.example ?? query.normalized
      if Self.isDDL(text) { catalog.add(ddl: text) }
    }
    var activity = ActivityCounter()
    // A sample is often the example itself: each text is parsed once.
    var factsOf: [String: StatementFacts?] = [:]
    func analyze(_ text: String) -> StatementFacts? {
      if let known = factsOf[text] { return known }
      let facts = QueryAnalyzer.analyze(text, catalog: catalog)
      factsOf[text] = facts
      return facts
    }
    for query in queries {
      guard let facts = analyze(query.example ?? query.normalized) else {
        unparsed += 1
        continue
      }
      activity.add(facts, fingerprint: query.fingerprint, executions: query.calls + query.untimedCalls)
      parsed.append((query, facts))
    }

    var candidates: [IndexSuggestion] = []
    var unusable: [String: UnusableFinding] = [:]
    var unusableFingerprints: [String: Set<Fingerprint>] = [:]
    for (query, facts) in parsed where query.slowCalls > 0 {
      let sampleFacts = query.samples.compactMap(analyze)
        .filter { $0.accesses.count == facts.accesses.count }
      for (position, access) in facts.accesses.enumerated() {
        for finding in access.unusable {
          let key = "\(finding.table)|\(finding.column ?? "")|\(finding.reason)"
          guard unusableFingerprints[key, default: []].insert(query.fingerprint).inserted else { continue }
          unusable[
            key,
            default: UnusableFinding(
              table: finding.table, column: finding.column, reason: finding.reason, fingerprints: [], slowUs: 0)
          ]
          .fingerprints.append(query.fingerprint)
          unusable[key]?.slowUs += query.slowTotalUs
        }
        let constants = recurringConstants(position: position, access: access, samples: sampleFacts)
        if let candidate = candidate(for: access, constants: constants, query: query) {
          candidates.append(candidate)
        }
      }
    }
    var suggestions = merge(candidates)
    for index in suggestions.indices {
      let columns = suggestions[index].columns.map(\.name) + suggestions[index].predicateColumns
      suggestions[index].writeCost = WriteCost.estimate(
        activity: activity.activity(of: suggestions[index].table), indexColumns: columns, minutes: minutes,
        catalog: catalog)
    }
    suggestions.sort { ($0.slowUs, $0.totalUs, $1.name) > ($1.slowUs, $1.totalUs, $0.name) }
    return IndexAdvice(
      suggestions: suggestions,
      unusable: unusable.values.sorted { ($0.slowUs, $1.reason) > ($1.slowUs, $0.reason) },
      tables: activity.tables.sorted { $0.table < $1.table }, analyzedFingerprints: parsed.count,
      unparsedFingerprints: unparsed)
  }

  static func isDDL(_ text: String) -> Bool {
    let head = text.drop { $0.isWhitespace }.prefix(12).uppercased()
    return head.hasPrefix("CREATE") || head.hasPrefix("ALTER TABLE")
  }

  /// Equality columns whose constant is the same in nearly every sampled execution.
  func recurringConstants(position: Int, access: TableAccess, samples: [StatementFacts]) -> [String: String] {
    guard !samples.isEmpty else { return [:] }
    var result: [String: String] = [:]
    for predicate in access.equalities {
      var counts: [String: Int] = [:]
      for sample in samples {
        let value = sample.accesses[position].equalities.first { $0.column == predicate.column }?.value
        if case .constant(let text)? = value, text != "NULL" { counts[text, default: 0] += 1 }
      }
      if let (text, count) = counts.max(by: { $0.value < $1.value }),
        Double(count) >= Self.partialShare * Double(samples.count)
      {
        result[predicate.column] = text
      }
    }
    return result
  }

  func candidate(for access: TableAccess, constants: [String: String], query: QueryStats) -> IndexSuggestion? {
    if let rows = catalog.rows(of: access.table), rows < Self.tinyTableRows { return nil }
    if access.table.name.hasPrefix("pg_") || access.table.schema == "pg_catalog"
      || access.table.schema == "information_schema"
    {
      return nil
    }
    var equalityColumns = access.equalities.map(\.column)
    // With pg_stats from a live database, the most selective equality column leads.
    let distinct = equalityColumns.map { catalog.distinctValues($0, in: access.table) }
    if distinct.allSatisfy({ $0 != nil }) {
      equalityColumns = zip(equalityColumns, distinct).enumerated()
        .sorted { ($0.element.1!, -$0.offset) > ($1.element.1!, -$1.offset) }.map(\.element.0)
    }
    var predicateColumns: [String] = []
    var predicate: String?
    let otherColumns = Set(access.ranges + access.sorts.map(\.column) + equalityColumns)
    let constantColumns = equalityColumns.filter { constants[$0] != nil }
    if !constantColumns.isEmpty && otherColumns.count > constantColumns.count {
      predicateColumns = constantColumns
      predicate = constantColumns.map { "\(SQLText.identifier($0)) = \(constants[$0]!)" }.joined(separator: " AND ")
      equalityColumns.removeAll { constants[$0] != nil }
    }
    var columns = equalityColumns.map { IndexColumn(name: $0, descending: false, operatorClass: nil) }
    var reasons = equalityColumns.map { "\($0) = …" }
    if let range = access.ranges.first, !equalityColumns.contains(range) {
      columns.append(
        IndexColumn(
          name: range, descending: false, operatorClass: access.likePrefixes.contains(range) ? "text_pattern_ops" : nil)
      )
      reasons.append(access.likePrefixes.contains(range) ? "\(range) LIKE 'prefix%'" : "range on \(range)")
    }
    let sortFits = access.ranges.isEmpty || access.ranges.first == access.sorts.first?.column
    if access.limited && sortFits && !access.sorts.isEmpty {
      let mixed = Set(access.sorts.map(\.descending)).count > 1
      for sort in access.sorts
      where !columns.contains(where: { $0.name == sort.column }) && !predicateColumns.contains(sort.column) {
        columns.append(IndexColumn(name: sort.column, descending: mixed && sort.descending, operatorClass: nil))
      }
      reasons.append(
        "ORDER BY " + access.sorts.map { $0.column + ($0.descending ? " DESC" : "") }.joined(separator: ", ") + " LIMIT"
      )
    }
    if columns.isEmpty, access.ranges.isEmpty, access.equalities.isEmpty, let key = access.joinKeys.first {
      columns = [IndexColumn(name: key, descending: false, operatorClass: nil)]
      reasons = ["join on \(key)"]
    }
    if columns.isEmpty && !predicateColumns.isEmpty {
      // Only constant equalities: index them plainly rather than an index with nothing in it.
      columns = predicateColumns.map { IndexColumn(name: $0, descending: false, operatorClass: nil) }
      reasons = predicateColumns.map { "\($0) = …" }
      predicateColumns = []
      predicate = nil
    }
    guard !columns.isEmpty else { return nil }
    if columns.count > Self.maxColumns { columns = Array(columns.prefix(Self.maxColumns)) }
    if let predicate { reasons.append("partial: \(predicate) in nearly every execution") }
    if isCovered(table: access.table, columns: columns.map(\.name), equalities: Set(equalityColumns + predicateColumns))
    {
      return nil
    }
    let served = IndexSuggestion.Served(
      fingerprint: query.fingerprint, calls: query.calls, slowCalls: query.slowCalls, slowUs: query.slowTotalUs,
      totalUs: query.totalUs)
    return IndexSuggestion(
      table: access.table, columns: columns, predicate: predicate, predicateColumns: predicateColumns, served: [served],
      reasons: reasons, writeCost: .unknown, validation: nil)
  }

  /// Whether an index that exists already serves this one: it starts with these columns, or it is unique on
  /// columns the query pins with equalities. With nothing known of the table, `id` is taken for its primary key.
  func isCovered(table: TableName, columns: [String], equalities: Set<String>) -> Bool {
    let existing = catalog.indexes(on: table)
    for index in existing where !index.partial {
      if index.columns.starts(with: columns) { return true }
      if index.unique && Set(index.columns).isSubset(of: equalities) { return true }
    }
    if existing.isEmpty && catalog.table(table) == nil && equalities.contains("id") { return true }
    return false
  }

  /// Merges candidates on the same table and predicate whose columns are a prefix of another's: each kept
  /// candidate is found by its table, predicate and every prefix of its columns, so merging stays linear.
  func merge(_ candidates: [IndexSuggestion]) -> [IndexSuggestion] {
    struct Key: Hashable {
      var table: String
      var predicate: String?
      var columns: [String]
    }
    var kept: [IndexSuggestion] = []
    var servedBy: [Set<Fingerprint>] = []
    var reasonsOf: [Set<String>] = []
    var byPrefix: [Key: [Int]] = [:]
    let ordered = candidates.sorted { $0.columns.count > $1.columns.count }
    for candidate in ordered {
      let names = candidate.columns.map(\.name)
      let key = Key(table: candidate.table.name, predicate: candidate.predicate, columns: names)
      if let target = byPrefix[key]?.first(where: { kept[$0].table.sameTable(as: candidate.table) }) {
        for served in candidate.served where servedBy[target].insert(served.fingerprint).inserted {
          kept[target].served.append(served)
        }
        for reason in candidate.reasons where reasonsOf[target].insert(reason).inserted {
          kept[target].reasons.append(reason)
        }
      } else {
        let position = kept.count
        kept.append(candidate)
        servedBy.append(Set(candidate.served.map(\.fingerprint)))
        reasonsOf.append(Set(candidate.reasons))
        for length in stride(from: names.count, through: 1, by: -1) {
          byPrefix[
            Key(table: candidate.table.name, predicate: candidate.predicate, columns: Array(names[..<length])),
            default: []
          ].append(position)
        }
      }
    }
    for index in kept.indices { kept[index].served.sort { ($0.slowUs, $0.totalUs) > ($1.slowUs, $1.totalUs) } }
    return kept
  }
}
