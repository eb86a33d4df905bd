// The index advisor: from each slow query's parse tree, a candidate index per table (equality columns first,
// then one range column, then the sort columns; at most three), made partial only when one constant appears in
// every sampled execution and no UPDATE of the log sets its column; candidates that are prefixes of one another
// merged; what the schema already has (or, without one, the conventional primary key) dropped; ranked by the
// time of the calls they serve, a query's time split between the suggestions serving it; each with the write
// cost from the same log.
import Dispatch
import Fingerprint
import LogInput
import Statistics

public struct IndexAdvice: Sendable {
  public var suggestions: [IndexSuggestion]
  /// `table.column`s taken for primary keys by ORM convention (no schema for the table), a suggestion on them
  /// left out: --schema makes it certain.
  public var assumedPrimaryKeys: [String] = []
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
  /// Sampled executions needed before a constant seen in every one of them makes a partial-index predicate.
  public static let partialSamples = 8
  /// A key column whose sampled executions show this few distinct values (out of at least `partialSamples`),
  /// or whose pg_stats say so, is likely low-selectivity: the planner may prefer a scan.
  public static let fewValues = 3
  /// Tables with fewer rows than this (known from a live database) get no suggestion: a scan is as cheap.
  public static let tinyTableRows = 1_000.0

  public var catalog: SchemaCatalog
  /// Tables whose `id` (or `<table>_id`) was taken for the primary key by ORM convention, no schema saying so,
  /// and a suggestion left out for it.
  public private(set) var assumedPrimaryKeys: Set<String> = []
  public let thresholdUs: Int64
  /// Threads the statements are parsed on (--jobs).
  public var threads = 1
  /// Length of the log in minutes, for writes per minute.
  public let minutes: Double

  public init(catalog: SchemaCatalog, thresholdUs: Int64, minutes: Double) {
    self.catalog = catalog
    self.thresholdUs = thresholdUs
    self.minutes = minutes
  }

  public mutating func advise(_ queries: [QueryStats]) -> IndexAdvice {
    assumedPrimaryKeys = []
    // Parse every fingerprint once; DDL in the log tells what already exists.
    var parsed: [(QueryStats, StatementFacts)] = []
    var unparsed = 0
    for query in queries {
      let text = query.example ?? query.normalized
      if Self.isDDL(text) { catalog.add(ddl: text) }
    }
    var activity = ActivityCounter()
    // A sample is often the example itself: each text is parsed once. The examples, and the samples of the slow
    // queries, are parsed ahead on `threads` threads: parsing is most of the advisor's time, and the report
    // waits for it.
    var factsOf = Self.analyzeAll(
      queries.map { $0.example ?? $0.normalized } + queries.filter { $0.slowCalls > 0 }.flatMap(\.samples),
      catalog: catalog, threads: threads)
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
        var constants = constantsSeen(position: position, access: access, samples: sampleFacts)
        Self.noteConstancy(&constants, access: access, example: query.example ?? query.normalized, query: query)
        if let candidate = candidate(
          for: access, constants: constants, query: query, activity: activity.activity(of: access.table))
        {
          candidates.append(candidate)
        }
        candidates += ginCandidates(for: access, query: query)
        candidates += orCandidates(for: access, query: query)
      }
    }
    var suggestions = merge(candidates)
    // A query served by several suggestions (a join's tables) has its time split between them, never counted
    // twice.
    var servedBy: [Fingerprint: Int] = [:]
    for suggestion in suggestions { for served in suggestion.served { servedBy[served.fingerprint, default: 0] += 1 } }
    for index in suggestions.indices {
      for s in suggestions[index].served.indices {
        suggestions[index].served[s].share = 1 / Double(servedBy[suggestions[index].served[s].fingerprint] ?? 1)
      }
      let partial =
        suggestions[index].predicateValues.isEmpty
        ? nil
        : Self.partialInserts(
          suggestions[index], parsed: parsed,
          samplesOf: { query in
            query.sampledExecutions.compactMap { sample in
              analyze(sample.text).map { ($0, sample.parameters.flatMap(BindParameters.parse)) }
            }
          })
      suggestions[index].writeCost = WriteCost.estimate(
        activity: activity.activity(of: suggestions[index].table),
        keyColumns: suggestions[index].columns.map(\.column),
        predicateColumns: suggestions[index].predicateColumns, partialInserts: partial, minutes: minutes,
        catalog: catalog)
      if suggestions[index].method != nil {
        // A GIN index holds an entry per key or element of each row, not one per row: no entry size or order.
        suggestions[index].writeCost.indexEntryBytes = nil
        suggestions[index].writeCost.keyOrder = nil
        suggestions[index].writeCost.keyOrderBasis = nil
      }
    }
    // Ranked by what each can save: the time of the calls it serves (a fast query run very often counts), the
    // likely low-selectivity ones last.
    suggestions.sort {
      ($0.lowSelectivity == nil ? 1 : 0, $0.totalUs, $0.slowUs, $1.name)
        > ($1.lowSelectivity == nil ? 1 : 0, $1.totalUs, $1.slowUs, $0.name)
    }
    return IndexAdvice(
      suggestions: suggestions, assumedPrimaryKeys: assumedPrimaryKeys.sorted(),
      unusable: unusable.values.sorted { ($0.slowUs, $1.reason) > ($1.slowUs, $0.reason) },
      tables: activity.tables.sorted { $0.table < $1.table }, analyzedFingerprints: parsed.count,
      unparsedFingerprints: unparsed)
  }

  /// The facts of each distinct text, analyzed on `threads` threads.
  static func analyzeAll(_ texts: [String], catalog: SchemaCatalog, threads: Int) -> [String: StatementFacts?] {
    var seen: Set<String> = []
    let distinct = texts.filter { seen.insert($0).inserted }
    let results = UnsafeMutableBufferPointer<StatementFacts?>.allocate(capacity: distinct.count)
    defer { results.deallocate() }
    results.initialize(repeating: nil)
    let slots = SendableSlots(results)
    let threads = min(distinct.count, max(1, threads))
    DispatchQueue.concurrentPerform(iterations: max(threads, 1)) { thread in
      // Every thread takes each `threads`-th text: the long ones are spread, and no two write one slot.
      for index in stride(from: thread, to: distinct.count, by: max(threads, 1)) {
        slots.buffer[index] = QueryAnalyzer.analyze(distinct[index], catalog: catalog)
      }
    }
    var facts: [String: StatementFacts?] = [:]
    facts.reserveCapacity(distinct.count)
    for (index, text) in distinct.enumerated() { facts[text] = results[index] }
    results.deinitialize()
    return facts
  }

  /// Result slots the analyzing threads write, each its own.
  private struct SendableSlots: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<StatementFacts?>
    init(_ buffer: UnsafeMutableBufferPointer<StatementFacts?>) { self.buffer = buffer }
  }

  static func isDDL(_ text: String) -> Bool {
    let head = text.drop { $0.isWhitespace }.prefix(12).uppercased()
    return head.hasPrefix("CREATE") || head.hasPrefix("ALTER TABLE")
  }

  /// What the sampled executions compared each equality column with: the most common constant, how many of the
  /// samples had it, and how many distinct constants there were.
  struct Seen {
    var value: String
    var count: Int
    var distinct: Int
    /// Samples that compared the column with a constant, and all samples.
    var withConstant: Int
    var samples: Int
    /// Whether every execution of the log had the example's constant there (the query's constancy, by the
    /// constant's place in the text); nil when that cannot be told.
    var everyExecution: Bool?
    /// A constant for a partial index: in every execution of the log, and in every sample.
    var inEvery: Bool { everyExecution == true && count == samples && samples >= IndexAdvisor.partialSamples }
  }

  /// Tells each equality column's constant whether the log's every execution had it, from where the constant
  /// sits among the example's constants and which of the query's constants ever changed.
  static func noteConstancy(_ seen: inout [String: Seen], access: TableAccess, example: String, query: QueryStats) {
    guard !seen.isEmpty, let unchanged = unchangedConstants(example: example, query: query) else { return }
    for predicate in access.equalities {
      guard let value = seen[predicate.column]?.value, case .constant(let text, let location?) = predicate.value,
        let same = unchanged(location)
      else { continue }
      // The example's own constant must be the sampled one, and unchanged in every execution.
      seen[predicate.column]!.everyExecution = same && text == value
    }
  }

  /// Which of the example's constants, by where each starts in its text, had one value in every execution of the
  /// query; nil when that cannot be told (a run saved without it, a text the lexer reads otherwise), and nil for a
  /// constant past the first few the lexer hashes.
  static func unchangedConstants(example: String, query: QueryStats) -> ((Int) -> Bool?)? {
    guard let constancy = query.constancy else { return nil }
    var lexer = ShapeLexer()
    var utf8 = example
    utf8.withUTF8 { lexer.lex($0) }
    let digest = lexer.constants
    guard digest.count == constancy.first.count else { return nil }
    return { location in digest.place(startingAt: location).map { constancy.same(at: $0) } }
  }

  /// The logged INSERTs into a partial index's table, told apart by whether the rows they add match its
  /// predicate: from the values each INSERT gives the predicate's columns, exactly when those constants never
  /// changed in the log, else (constants that changed, bind parameters) in the proportion of its sampled
  /// executions, with the bind values logged after each.
  static func partialInserts(
    _ suggestion: IndexSuggestion, parsed: [(QueryStats, StatementFacts)],
    samplesOf: (QueryStats) -> [(facts: StatementFacts, parameters: [Int: BindParameters.Value]?)]
  ) -> WriteCost.PartialInserts {
    var result = WriteCost.PartialInserts()
    for (query, facts) in parsed {
      let inserts = facts.writes.filter { $0.kind == .insert && $0.table.sameTable(as: suggestion.table) }
      guard !inserts.isEmpty else { continue }
      let executions = query.calls + query.untimedCalls
      let unchanged = unchangedConstants(example: query.example ?? query.normalized, query: query)
      // The query's sampled executions, read once for all its INSERTs when one needs them.
      var sampled: [(facts: StatementFacts, parameters: [Int: BindParameters.Value]?)]?
      for write in inserts {
        let verdict = matching(write, suggestion.predicateValues)
        if let match = verdict.match, let unchanged, verdict.locations.allSatisfy({ unchanged($0) == true }) {
          if match { result.matching += executions } else { result.notMatching += executions }
          continue
        }
        guard verdict.match != nil || verdict.usesParameters else {
          result.unknown += executions
          continue
        }
        // The constants changed between executions, or the values are bind parameters: the share of the samples
        // whose rows match.
        if sampled == nil { sampled = samplesOf(query) }
        let verdicts = sampled!.compactMap { sample in
          sample.facts.writes.first { $0.kind == .insert && $0.table.sameTable(as: suggestion.table) }
            .flatMap { matching($0, suggestion.predicateValues, parameters: sample.parameters).match }
        }
        guard !verdicts.isEmpty else {
          result.unknown += executions
          continue
        }
        let matched = Int(
          (Double(executions) * Double(verdicts.filter { $0 }.count) / Double(verdicts.count)).rounded())
        result.matching += matched
        result.notMatching += executions - matched
        result.estimated += executions
      }
    }
    return result
  }

  /// Whether an INSERT's rows match a predicate of constants (true when any row does), with where the compared
  /// constants start and whether bind parameters give any of the compared values. Nil when a value is not known:
  /// an expression, a column's default, or a bind parameter that `parameters` (the logged values) does not give.
  static func matching(
    _ write: TableWrite, _ predicate: [String: String], parameters: [Int: BindParameters.Value]? = nil
  ) -> (match: Bool?, locations: [Int], usesParameters: Bool) {
    guard let values = write.insertedValues else { return (nil, [], false) }
    var rows: Int?
    for column in predicate.keys {
      guard let list = values[column] else { return (nil, [], false) }
      rows = list.count
    }
    var locations: [Int] = []
    var usesParameters = false
    var unresolved = false
    var any = false
    for row in 0..<(rows ?? 0) {
      var all = true
      for (column, wanted) in predicate {
        switch values[column]![row] {
        case .constant(let text, let location?)?:
          locations.append(location)
          if text != wanted { all = false }
        case .parameter(let number)?:
          usesParameters = true
          switch parameters?[number] {
          case .text(let value)?:
            guard let equal = boundValue(value, equals: wanted) else {
              unresolved = true
              continue
            }
            if !equal { all = false }
          case .null?: all = false
          case .truncated?, nil: unresolved = true
          }
        default:
          return (nil, [], false)
        }
      }
      if all { any = true }
    }
    return (rows == nil || unresolved ? nil : any, locations, usesParameters)
  }

  /// Whether a logged bind value is the constant `wanted` (as the parser writes constants: strings quoted,
  /// numbers and booleans bare); nil when that cannot be told.
  static func boundValue(_ value: String, equals wanted: String) -> Bool? {
    if wanted.hasPrefix("'") { return "'" + value.replacingOccurrences(of: "'", with: "''") + "'" == wanted }
    if wanted == "true" || wanted == "false" {
      switch value.lowercased() {
      case "t", "true", "y", "yes", "on", "1": return wanted == "true"
      case "f", "false", "n", "no", "off", "0": return wanted == "false"
      default: return nil
      }
    }
    if value == wanted { return true }
    if let a = Double(value), let b = Double(wanted) { return a == b }
    return wanted.hasPrefix("B'") ? nil : false
  }

  func constantsSeen(position: Int, access: TableAccess, samples: [StatementFacts]) -> [String: Seen] {
    guard !samples.isEmpty else { return [:] }
    var result: [String: Seen] = [:]
    for predicate in access.equalities {
      var counts: [String: Int] = [:]
      for sample in samples {
        let value = sample.accesses[position].equalities.first { $0.column == predicate.column }?.value
        if case .constant(let text, _)? = value, text != "NULL" { counts[text, default: 0] += 1 }
      }
      if let (text, count) = counts.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }) {
        result[predicate.column] = Seen(
          value: text, count: count, distinct: counts.count, withConstant: counts.values.reduce(0, +),
          samples: samples.count)
      }
    }
    return result
  }

  mutating func candidate(
    for access: TableAccess, constants: [String: Seen], query: QueryStats, activity: TableActivity
  ) -> IndexSuggestion? {
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
    var notes: [String] = []
    let otherColumns = Set(access.ranges + access.sorts.map(\.column) + equalityColumns)
    // A constant makes a partial index only when every sampled execution has it and no UPDATE of the log sets
    // its column: a partial index leaves the other values to a scan, and a row whose predicate column an UPDATE
    // changes moves in or out of the index, so that UPDATE is never HOT.
    let constantColumns = equalityColumns.filter { constants[$0]?.inEvery == true }
    if !constantColumns.isEmpty && otherColumns.count > constantColumns.count {
      for column in constantColumns {
        let seen = constants[column]!
        if let shapes = activity.updatesSetting[column], !shapes.isEmpty {
          let calls = shapes.reduce(0) { $0 + activity.updates[$1].calls }
          notes.append(
            "\(column) = \(seen.value) left out: UPDATEs set \(column) (\(calls.grouped) calls, "
              + "\(activity.updates[shapes[0]].fingerprint.hex)); in the index or its predicate it would stop them "
              + "being HOT")
          equalityColumns.removeAll { $0 == column }
        } else {
          predicateColumns.append(column)
        }
      }
      if !predicateColumns.isEmpty {
        predicate = predicateColumns.map { "\(SQLText.identifier($0)) = \(constants[$0]!.value)" }
          .joined(separator: " AND ")
        equalityColumns.removeAll { predicateColumns.contains($0) }
      }
    }
    for column in equalityColumns {
      guard let seen = constants[column], !seen.inEvery, Double(seen.count) >= 0.5 * Double(seen.samples),
        seen.samples >= Self.partialSamples
      else { continue }
      let evidence =
        seen.count < seen.samples
        ? "in \(seen.count) of \(seen.samples) sampled executions, not every one"
        : seen.everyExecution == false
          ? "in all \(seen.samples) sampled executions but not in every execution of the log"
          : "in all \(seen.samples) sampled executions, but whether in every execution of the log cannot be told"
      notes.append(
        "\(column) stays in the key: \(seen.value) \(evidence) (a partial index would leave the others to a scan)")
    }
    var columns = equalityColumns.map { IndexColumn(name: $0, descending: false, operatorClass: nil) }
    var reasons = equalityColumns.map { "\($0) = …" }
    // A function or cast of a column compared with a value: the index holds the same expression (equalities
    // with the equality columns; a range one where a range column would go).
    for expression in access.expressions where expression.isEquality {
      columns.append(
        IndexColumn(name: expression.sql, descending: false, operatorClass: nil, expressionOf: expression.column))
      reasons.append("\(expression.sql) = …: an index on the expression serves it")
    }
    if access.ranges.isEmpty, let expression = access.expressions.first(where: { !$0.isEquality }) {
      columns.append(
        IndexColumn(name: expression.sql, descending: false, operatorClass: nil, expressionOf: expression.column))
      reasons.append("range on \(expression.sql): an index on the expression serves it")
    }
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
    if let predicate {
      let samples = predicateColumns.compactMap { constants[$0]?.samples }.min() ?? 0
      reasons.append(
        "partial: \(predicate) in every execution of the log (\((query.calls + query.untimedCalls).grouped), "
          + "\(samples) of them sampled), and no UPDATE sets it")
    }
    reasons += notes
    if isCovered(
      table: access.table, columns: columns.map { $0.expressionOf == nil ? $0.name : "(\($0.name))" },
      equalities: Set(equalityColumns + predicateColumns))
    {
      return nil
    }
    let served = IndexSuggestion.Served(query)
    var suggestion = IndexSuggestion(
      table: access.table, columns: columns, predicate: predicate, predicateColumns: predicateColumns, served: [served],
      reasons: reasons, writeCost: .unknown, validation: nil)
    for column in predicateColumns { suggestion.predicateValues[column] = constants[column]?.value }
    suggestion.lowSelectivity = lowSelectivity(of: columns[0].name, in: access.table, seen: constants[columns[0].name])
    if let low = suggestion.lowSelectivity { suggestion.reasons.append(low) }
    return suggestion
  }

  /// One index per column of an OR of equalities (`email = … OR phone = …`): PostgreSQL combines them with a
  /// BitmapOr; an index on one column alone leaves the other branch to a scan of the table.
  mutating func orCandidates(for access: TableAccess, query: QueryStats) -> [IndexSuggestion] {
    if let rows = catalog.rows(of: access.table), rows < Self.tinyTableRows { return [] }
    var result: [IndexSuggestion] = []
    for group in access.orColumns {
      let branches = group.map { "\($0) = …" }.joined(separator: " OR ")
      for column in group where !isCovered(table: access.table, columns: [column], equalities: [column]) {
        result.append(
          IndexSuggestion(
            table: access.table, columns: [IndexColumn(name: column, descending: false, operatorClass: nil)],
            predicate: nil, predicateColumns: [],
            served: [
              IndexSuggestion.Served(query)
            ],
            reasons: ["\(branches): one index for each branch, combined by a BitmapOr"], writeCost: .unknown,
            validation: nil))
      }
    }
    return result
  }

  /// GIN indexes for the operators only GIN serves: `jsonb_path_ops` where a jsonb column is only tested with
  /// `@>` (smaller and faster), the default operator class for key existence (`?`), arrays (`&&`, `@>`) and
  /// text search on an expression. What the column holds comes from the schema, else from the operator and its
  /// operand; a column it cannot tell is left to the findings.
  func ginCandidates(for access: TableAccess, query: QueryStats) -> [IndexSuggestion] {
    guard !access.ginPredicates.isEmpty else { return [] }
    if let rows = catalog.rows(of: access.table), rows < Self.tinyTableRows { return [] }
    var byKey: [String: [TableAccess.GinPredicate]] = [:]
    for predicate in access.ginPredicates { byKey[predicate.key, default: []].append(predicate) }
    var result: [IndexSuggestion] = []
    for (key, predicates) in byKey.sorted(by: { $0.key < $1.key }) {
      let ops = Set(predicates.map(\.op))
      let type =
        predicates[0].expressionOf == nil
        ? catalog.table(access.table)?.columns.first { $0.name == key }?.type.lowercased() : nil
      let operand: TableAccess.GinPredicate.Operand
      if let type {
        operand =
          type.hasPrefix("json")
          ? .json
          : type.hasSuffix("[]") || type.hasPrefix("_")
            ? .array
            : type == "tsvector" ? .textSearch : .unknown
      } else if !ops.isDisjoint(with: ["?", "?|", "?&", "@?"]) {
        operand = .json
      } else if ops.contains("&&") {
        operand = .array
      } else {
        operand = predicates.map(\.operand).first { $0 != .unknown } ?? .unknown
      }
      guard operand != .unknown else { continue }
      let pathOps = operand == .json && ops.isSubset(of: ["@>", "@?", "@@"])
      let column = IndexColumn(
        name: key, descending: false, operatorClass: pathOps ? "jsonb_path_ops" : nil,
        expressionOf: predicates[0].expressionOf)
      // An index the schema has on the column already (its method is not recorded: any serves as a reason to
      // suggest none).
      if catalog.indexes(on: access.table).contains(where: { index in
        !index.partial && index.columns.first.map { Self.plain($0).hasPrefix(Self.plain(key)) } == true
      }) {
        continue
      }
      let what: String
      switch operand {
      case .json:
        what =
          pathOps
          ? "GIN with jsonb_path_ops (only @> is used: smaller and faster than the default)"
          : "GIN (key existence needs the default jsonb_ops)"
      case .array: what = "GIN on the array"
      case .textSearch: what = "GIN on the text search expression"
      case .unknown: what = "GIN"
      }
      var suggestion = IndexSuggestion(
        table: access.table, columns: [column], predicate: nil, predicateColumns: [],
        served: [
          IndexSuggestion.Served(query)
        ], reasons: ["\(key) \(ops.sorted().joined(separator: ", ")) …: \(what)"], writeCost: .unknown, validation: nil)
      suggestion.method = "gin"
      result.append(suggestion)
    }
    return result
  }

  /// Why the leading column is likely low-selectivity (few distinct values: the planner may prefer a scan), or
  /// nil: from pg_stats with a live database, else from the sampled executions' constants.
  func lowSelectivity(of column: String, in table: TableName, seen: Seen?) -> String? {
    if let distinct = catalog.distinctValues(column, in: table) {
      guard distinct <= Double(Self.fewValues * 3) else { return nil }
      return "likely low-selectivity: \(column) has about \(Int(distinct.rounded())) distinct values (pg_stats); the "
        + "planner may prefer a scan"
    }
    guard let seen, seen.withConstant >= Self.partialSamples, (2...Self.fewValues).contains(seen.distinct) else {
      return nil
    }
    return "likely low-selectivity: \(seen.distinct) distinct values of \(column) in \(seen.samples) sampled "
      + "executions; the planner may prefer a scan (--dsn checks it with pg_stats)"
  }

  /// Whether an index that exists already serves this one: it starts with these columns, or it is unique on
  /// columns the query pins with equalities. With nothing known of the table, its primary key is taken to be
  /// `id` (or `<table>_id`), as ORMs name it.
  mutating func isCovered(table: TableName, columns: [String], equalities: Set<String>) -> Bool {
    let existing = catalog.indexes(on: table)
    for index in existing where !index.partial {
      if index.columns.map(Self.plain).starts(with: columns.map(Self.plain)) { return true }
      if index.unique && Set(index.columns).isSubset(of: equalities) { return true }
    }
    guard existing.isEmpty && catalog.table(table) == nil else { return false }
    let keys = Self.conventionalKeys(of: table.name)
    if let first = columns.first, keys.contains(first) || !keys.isDisjoint(with: equalities) {
      assumedPrimaryKeys.insert("\(table.description).\(keys.first { $0 == first || equalities.contains($0) }!)")
      return true
    }
    return false
  }

  /// An index key as compared with the schema's: expressions as written, less spaces and case.
  static func plain(_ text: String) -> String { text.filter { !$0.isWhitespace }.lowercased() }

  /// The primary-key names ORMs give a table: `id`, and `<table>_id` with the table's name singular or as is
  /// (`customers` → `customer_id`).
  public static func conventionalKeys(of table: String) -> Set<String> {
    var names: Set<String> = ["id", "\(table)_id"]
    if table.hasSuffix("ies") { names.insert(String(table.dropLast(3)) + "y_id") }
    if table.hasSuffix("s") { names.insert(String(table.dropLast()) + "_id") }
    return names
  }

  /// Merges candidates on the same table and predicate whose columns are a prefix of another's: each kept
  /// candidate is found by its table, predicate and every prefix of its columns, so merging stays linear.
  func merge(_ candidates: [IndexSuggestion]) -> [IndexSuggestion] {
    struct Key: Hashable {
      var table: String
      var predicate: String?
      var columns: [String]
      var method: String?
    }
    var kept: [IndexSuggestion] = []
    var servedBy: [Set<Fingerprint>] = []
    var reasonsOf: [Set<String>] = []
    var byPrefix: [Key: [Int]] = [:]
    let ordered = candidates.sorted { $0.columns.count > $1.columns.count }
    for candidate in ordered {
      let names = candidate.columns.map(\.name)
      let key = Key(
        table: candidate.table.name, predicate: candidate.predicate, columns: names, method: candidate.method)
      if let target = byPrefix[key]?.first(where: { kept[$0].table.sameTable(as: candidate.table) }) {
        // Queries that need other operator classes of one GIN column share the default class, which serves all.
        for i in kept[target].columns.indices
        where i < candidate.columns.count && kept[target].columns[i].operatorClass != candidate.columns[i].operatorClass
          && candidate.method == "gin"
        {
          kept[target].columns[i].operatorClass = nil
        }
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
            Key(
              table: candidate.table.name, predicate: candidate.predicate, columns: Array(names[..<length]),
              method: candidate.method),
            default: []
          ].append(position)
        }
      }
    }
    for index in kept.indices { kept[index].served.sort { ($0.slowUs, $0.totalUs) > ($1.slowUs, $1.totalUs) } }
    return kept
  }
}
