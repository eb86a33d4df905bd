// Names the slots of an inferred prefix template. Each slot is a column of values, one per sampled line; what a
// column is follows from the log itself, most certain first:
//   - its shape: a timestamp, `hex.hex` (%c), `n/n` (%v), a SQLSTATE that is 00000 on LOG lines (%e), a host;
//   - how it behaves: a number that names a session, a number that counts each session's lines by one, a
//     transaction id that is 0 outside transactions, a signed 64-bit query id;
//   - what the log says of sessions: `connection authorized: user=U database=D application_name=A`,
//     `connection received: host=H port=P` and `disconnection: … user=U database=D host=H` name the user,
//     database, application and host of a process, and a column whose values equal them is that field,
//     whatever label stands beside it;
//   - its vocabulary: backend types (%b), command tags (%i);
//   - its label (`app=`, `user=`), or the `user@database` convention;
//   - and last, its place: the rest in PostgreSQL's order of %u, %d, %a, which is a guess and said to be one.
import IntegerTables
import LogInput

struct FieldTyping {
  let template: PrefixTemplate
  let records: [SampledRecord]

  private(set) var evidence: [String] = []
  private(set) var doubts: [String] = []
  private(set) var confidence: InferenceConfidence = .certain
  private(set) var alternatePatterns: [String] = []
  private(set) var patternText = ""

  /// What one element of the template becomes in the prefix.
  private enum Piece: Equatable {
    case literal([UInt8])
    case column(Int)
  }

  /// The bytes of one value: a stretch of its record's line, not a copy of it.
  typealias Value = ArraySlice<UInt8>

  /// The values one field takes, line by line.
  private struct Column {
    var element: Int
    /// The value's bytes in each aligned record that prints the element: slices of the records' lines, which
    /// a column of arrays of their own copied, one allocation a value (a third of the typing's instructions
    /// with freeing them, callgrind).
    var values: [(record: Int, bytes: Value)]
    var field: PrefixField?
    var label: String?
    /// Why the field is what it is, once named.
    var reason: String?
    /// Taken into the column before it (`client` `backend` are one `%b`): no field of its own.
    var absorbed = false
  }

  private var pieces: [[Piece]] = []
  private var columns: [Column] = []
  /// Where background processes stop (the `%q`), as an element index.
  private var cut: Int?
  private var cutLines = 0
  /// Records that fit the template, with or without slots taking punctuation.
  private var fitting = 0
  /// For each slot, on how many lines it took a space where most lines' slots take none.
  private var spacedElements: [Int: Int] = [:]
  /// The records that fit the template, each with what it covers.
  private var aligned: [(record: Int, alignment: PrefixTemplate.Alignment)] = []

  /// What each record's alignment to the template is, when already known.
  private let knownAlignments: [PrefixTemplate.Alignment]?

  init(template: PrefixTemplate, records: [SampledRecord], alignments: [PrefixTemplate.Alignment]? = nil) {
    self.template = template
    self.records = records
    knownAlignments = alignments
  }

  mutating func run() {
    alignRecords()
    makeColumns()
    joinSpacedColumns()
    splitCompounds()
    findLabels()
    typeTimes()
    typeShapes()
    typeNumbers()
    typeByVocabulary()
    typeBySessions()
    typeByLabels()
    typeByPlace()
    assemble()
  }

  // MARK: - Columns

  private mutating func alignRecords() {
    var cuts: [Int: Int] = [:]
    var all: [(record: Int, alignment: PrefixTemplate.Alignment)] = []
    var costs: [Int: Int] = [:]
    var aligner = PrefixTemplate.Aligner(template)
    for (index, record) in records.enumerated() {
      // Lines alike align alike (`Aligner`): an alignment made to this template before is the one made here.
      let alignment =
        knownAlignments?[index]
        ?? record.bytes.withUnsafeBufferPointer {
          aligner.align(record.tokens, in: $0.slice(0, record.marker), allowCut: true)
        }
      guard alignment.fits else { continue }
      all.append((index, alignment))
      costs[alignment.cost, default: 0] += 1
    }
    fitting = all.count
    // Columns are read from the lines whose slots take no more punctuation than most lines' do: where a
    // value holds a space the others do not (an application name), which slot took it is a guess the matcher,
    // which knows the fields by then, makes better.
    let usual = costs.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key ?? 0
    for (index, alignment) in all {
      guard alignment.cost <= usual else {
        // Which slots took a space on the lines left out, for telling application names apart.
        let record = records[index]
        for (element, covered) in alignment.covers.enumerated() {
          guard let covered, template.elements[element].isSlot,
            record.tokens[covered].contains(where: { $0.kind == .punct(UInt8(ascii: " ")) })
          else { continue }
          spacedElements[element, default: 0] += 1
        }
        continue
      }
      aligned.append((index, alignment))
      if let cut = alignment.cut { cuts[cut, default: 0] += 1 }
    }
    if let (at, count) = cuts.max(by: { ($0.value, -$0.key) < ($1.value, -$1.key) }) {
      cut = at
      cutLines = count
    }
  }

  private func bytes(of covered: Range<Int>, in record: SampledRecord) -> Value {
    guard let first = covered.first else { return [] }
    return record.bytes[record.tokens[first].start..<record.tokens[covered.upperBound - 1].end]
  }

  private mutating func makeColumns() {
    pieces = template.elements.indices.map { index in
      switch template.elements[index] {
      case .punct(let b): [.literal([b])]
      case .word(let bytes): [.literal(bytes)]
      case .time, .epoch, .slot, .phrase: [.column(-1)]
      }
    }
    for (index, element) in template.elements.enumerated() {
      let promote: Bool
      switch element {
      case .time, .epoch, .slot, .phrase: promote = true
      case .punct: promote = false
      // A constant word is a field when its shape or place says so (`app=web`, `postgres@shop`, `[local]`).
      case .word(let bytes): promote = constantIsField(bytes, at: index)
      }
      guard promote else { continue }
      var column = Column(element: index, values: [])
      column.values.reserveCapacity(aligned.count)
      for (record, alignment) in aligned {
        guard let covered = alignment.covers[index] else { continue }
        column.values.append((record, bytes(of: covered, in: records[record])))
      }
      pieces[index] = [.column(columns.count)]
      columns.append(column)
    }
  }

  /// Whether a word every sampled line prints alike is a field's value nonetheless.
  private func constantIsField(_ word: [UInt8], at index: Int) -> Bool {
    if label(before: index) != nil { return true }
    let elements = template.elements
    // `user@database`
    if index + 2 < elements.count, elements[index + 1] == .punct(UInt8(ascii: "@")), case .word = elements[index + 2] {
      return true
    }
    if index >= 2, elements[index - 1] == .punct(UInt8(ascii: "@")), case .word = elements[index - 2] { return true }
    if index >= 2, elements[index - 1] == .punct(UInt8(ascii: "@")), elements[index - 2].isSlot { return true }
    if index + 2 < elements.count, elements[index + 1] == .punct(UInt8(ascii: "@")), elements[index + 2].isSlot {
      return true
    }
    let shape = ValueShape(word)
    return shape.isHost || shape.isSessionID || shape.isVirtualXID || shape.isInteger
  }

  /// Slots with single spaces between them whose values, joined, are process types (`client backend`) or
  /// states (`idle in transaction`) are one field: the sample had no value without a space to show it.
  private mutating func joinSpacedColumns() {
    var index = 0
    while index < columns.count {
      var run = [index]
      while let last = run.last, columns[last].element + 2 < template.elements.count,
        template.elements[columns[last].element + 1] == .punct(UInt8(ascii: " ")),
        let next = columns.indices.first(where: { columns[$0].element == columns[last].element + 2 }),
        template.elements[columns[next].element].isSlot
      {
        run.append(next)
      }
      guard run.count > 1, template.elements[columns[index].element].isSlot else {
        index += 1
        continue
      }
      // The longest run, from this column on, whose joined values are a field's vocabulary.
      var joined: Column?
      var length = run.count
      while length > 1 {
        var column = columns[index]
        column.values = column.values.map { value in
          var bytes = value.bytes
          for other in run[1..<length] {
            if let more = columns[other].values.first(where: { $0.record == value.record }) {
              bytes += [UInt8(ascii: " ")] + more.bytes
            }
          }
          return (value.record, bytes)
        }
        if share(column, \.isBackendType) >= 0.8 || share(column, \.isCommandTag) >= 0.8 {
          joined = column
          break
        }
        length -= 1
      }
      guard let joined else {
        index += 1
        continue
      }
      columns[index] = joined
      let first = columns[index].element
      let last = columns[run[length - 1]].element
      for element in (first + 1)...last { pieces[element] = [] }
      // The columns taken in are left without a place in the prefix.
      for other in run[1..<length] {
        columns[other].values = []
        columns[other].absorbed = true
      }
      index += 1
    }
  }

  /// A slot whose values are all `n-n` holds two numbers (`[%p-%l]`), or one and a constant (`[%l-1]`).
  private mutating func splitCompounds() {
    for index in columns.indices where !columns[index].absorbed {
      let column = columns[index]
      // Stopped at the first value that is not `n-n`: splitting every value of a column of times first (whose
      // dates have dashes) made two arrays a line for nothing (callgrind, prefix inference).
      var split: [(left: Value, right: Value)] = []
      split.reserveCapacity(column.values.count)
      for value in column.values {
        guard let dash = value.bytes.firstIndex(of: UInt8(ascii: "-")), dash > value.bytes.startIndex else { break }
        let left = value.bytes[..<dash]
        let right = value.bytes[(dash + 1)...]
        guard ValueShape(left).isUnsigned, ValueShape(right).isUnsigned else { break }
        split.append((left, right))
      }
      guard !split.isEmpty, split.count == column.values.count else { continue }
      var left = column
      left.values = zip(column.values, split).map { ($0.record, $1.left) }
      columns[index] = left
      let rights = Set(split.map { ValueKey($0.right) })
      if rights.count == 1, let constant = rights.first {
        pieces[column.element] = [.column(index), .literal([UInt8(ascii: "-")] + Array(constant.bytes))]
      } else {
        var right = column
        right.values = zip(column.values, split).map { ($0.record, $1.right) }
        pieces[column.element] = [.column(index), .literal([UInt8(ascii: "-")]), .column(columns.count)]
        columns.append(right)
      }
    }
  }

  /// The label written before an element (`app=`, `pid="`, `sql_error_code = `), lower-cased.
  private func label(before index: Int) -> String? {
    let elements = template.elements
    var i = index - 1
    func skip(_ b: UInt8) { while i >= 0, elements[i] == .punct(b) { i -= 1 } }
    skip(UInt8(ascii: "\""))
    skip(UInt8(ascii: " "))
    guard i >= 0, elements[i] == .punct(UInt8(ascii: "=")) || elements[i] == .punct(UInt8(ascii: ":")) else {
      return nil
    }
    let separator = elements[i]
    i -= 1
    skip(UInt8(ascii: " "))
    guard i >= 0, case .word(let bytes) = elements[i] else { return nil }
    // `HH:MM` inside a value, or `%t:%r:` (RDS): a colon after a field is no label.
    if separator == .punct(UInt8(ascii: ":")), !bytes.contains(where: { $0 &- 0x61 < 26 || $0 &- 0x41 < 26 }) {
      return nil
    }
    return String(decoding: bytes, as: UTF8.self).lowercased()
  }

  private mutating func findLabels() {
    for index in columns.indices where pieces[columns[index].element].first == .column(index) {
      columns[index].label = label(before: columns[index].element)
    }
  }

  // MARK: - Naming

  private mutating func name(_ index: Int, _ field: PrefixField, _ reason: String, _ level: InferenceConfidence) {
    columns[index].field = field
    columns[index].reason = "%\(field.rawValue): \(reason)"
    confidence = min(confidence, level)
  }

  private var unnamed: [Int] { columns.indices.filter { columns[$0].field == nil && !columns[$0].absorbed } }

  /// Whether two values hold the same bytes, compared in place (`==` on slices went element by element through
  /// their indices, a third slower than the arrays the values were before).
  private static func same(_ a: Value, _ b: Value) -> Bool {
    a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { a.hasSameBytes(as: $0) } }
  }

  /// A value as a key of a set or dictionary: hashed as one run of bytes rather than byte by byte (the
  /// sessions' tables spent 470 instructions a lookup hashing slices, callgrind).
  private struct ValueKey: Hashable {
    let bytes: Value
    init(_ bytes: Value) { self.bytes = bytes }
    static func == (a: ValueKey, b: ValueKey) -> Bool { FieldTyping.same(a.bytes, b.bytes) }
    func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
  }

  /// How many different values a column holds.
  private func distinctValues(_ column: Column) -> Int { Set(column.values.map { ValueKey($0.bytes) }).count }

  private func nonEmpty(_ column: Column) -> [Value] { column.values.map(\.bytes).filter { !$0.isEmpty } }

  private func hasValues(_ column: Column) -> Bool { column.values.contains { !$0.bytes.isEmpty } }

  /// The share of a column's values (the empty ones left out) that pass `test`. A value like the one before it
  /// (the same session's user, database, application) is not tested again.
  private func share(_ column: Column, _ test: (ValueShape) -> Bool) -> Double {
    var values = 0
    var passing = 0
    var last: Value = []
    var lastPasses = false
    for value in column.values where !value.bytes.isEmpty {
      values += 1
      if !Self.same(value.bytes, last) {
        last = value.bytes
        lastPasses = test(ValueShape(value.bytes))
      }
      if lastPasses { passing += 1 }
    }
    guard values > 0 else { return 0 }
    return Double(passing) / Double(values)
  }

  private mutating func typeTimes() {
    let times = columns.indices.filter {
      switch template.elements[columns[$0].element] {
      case .time, .epoch: true
      default: false
      }
    }
    // The line's own time changes most; a second timestamp that holds still within a session is its start (%s).
    let byChange = times.sorted {
      distinctValues(columns[$0]) > distinctValues(columns[$1])
    }
    for (rank, index) in byChange.enumerated() {
      switch template.elements[columns[index].element] {
      case .epoch:
        name(index, .epochMillis, "seconds since the epoch, with milliseconds", .certain)
      case .time(let millis) where rank == 0:
        name(
          index, millis ? .timestampMillis : .timestamp,
          "the time of each line\(millis ? ", with milliseconds" : "")", .certain)
      case .time:
        name(
          index, .sessionStart, "a second timestamp that changes less often than the line's time: the session's start",
          .certain)
      default:
        break
      }
    }
  }

  private mutating func typeShapes() {
    for index in unnamed {
      let column = columns[index]
      guard hasValues(column) else { continue }
      if share(column, \.isSessionID) >= 0.9 {
        name(index, .sessionID, "hex.hex values: the session's start time and process id", .certain)
      } else if share(column, \.isVirtualXID) >= 0.9 {
        name(index, .virtualTransactionID, "n/n values: a virtual transaction id", .certain)
      } else if share(column, \.isSQLState) >= 0.95, sqlStateBehaves(column) {
        name(index, .sqlState, "five-character codes, 00000 on LOG lines: the SQLSTATE", .certain)
      }
    }
  }

  /// Whether a column of SQLSTATE-shaped values is 00000 on most LOG lines and something else on most errors.
  private func sqlStateBehaves(_ column: Column) -> Bool {
    var logLines = 0
    var logZero = 0
    for value in column.values where records[value.record].severity == .log {
      logLines += 1
      if value.bytes.elementsEqual("00000".utf8) { logZero += 1 }
    }
    return logLines == 0 || logZero * 10 >= logLines * 8
  }

  private mutating func typeNumbers() {
    var candidates: [Int] = []
    for index in unnamed {
      let column = columns[index]
      // A stray value (a line aligned oddly) does not make a column of numbers text. (A share is 0 where no value
      // is non-empty; the values are gathered only for the columns of numbers.)
      guard share(column, \.isInteger) >= 0.95 else { continue }
      let values = nonEmpty(column)
      let empty = column.values.count - values.count
      if values.contains(where: { $0.first == UInt8(ascii: "-") || $0.count >= 11 }) {
        name(index, .queryID, "signed 64-bit numbers, 0 where no query ran: the query id", .certain)
      } else if empty * 2 >= column.values.count {
        name(
          index, .parallelLeader, "empty on most lines and a process id on others: a parallel group's leader",
          .likely)
      } else if values.contains([UInt8(ascii: "0")][...]) {
        name(index, .transactionID, "0 outside transactions and growing ids inside them: the transaction id", .certain)
      } else {
        candidates.append(index)
      }
    }
    if candidates.isEmpty { return }
    // %c carries the process id in hex after its dot.
    if let session = columns.indices.first(where: { columns[$0].field == .sessionID }) {
      let pids = Dictionary(
        columns[session].values.compactMap { value in ValueShape.sessionPid(value.bytes).map { (value.record, $0) } },
        uniquingKeysWith: { a, _ in a })
      for index in candidates {
        let column = columns[index]
        let agree = column.values.filter { value in pids[value.record].map { String($0) } == value.bytes.string }.count
        if agree * 10 >= column.values.count * 9 {
          name(index, .pid, "equal to the process id that %c carries", .certain)
          candidates.removeAll { $0 == index }
          break
        }
      }
    }
    // A session's line numbers go up by one from line to line of the process that writes them.
    var best: (pid: Int, line: Int, score: Double, steps: Int)?
    let pidKnown = columns.indices.first { columns[$0].field == .pid }
    for a in pidKnown.map({ [$0] }) ?? candidates {
      for b in candidates where b != a {
        let (ok, steps) = consecutive(group: a, count: b)
        guard steps >= 3 else { continue }
        let score = Double(ok) / Double(steps)
        if score >= 0.8, best == nil || score > best!.score { best = (a, b, score, steps) }
      }
    }
    if let best {
      if columns[best.pid].field == nil {
        name(best.pid, .pid, "the same number on every line of a process, whose line numbers count by one", .certain)
      }
      name(
        best.line, .lineNumber,
        "counts each process's lines by one (\(Int(best.score * 100))% of \(best.steps) steps)", .certain)
      candidates.removeAll { $0 == best.pid || $0 == best.line }
    }
    for index in candidates {
      let column = columns[index]
      if columns.contains(where: { $0.field == .pid }) {
        name(index, .lineNumber, "a number beside the process id: the session's line number", .likely)
        continue
      }
      // The first line of a new process is `connection received`: its line number is 1, its process id one
      // not seen before in its stretch of the file.
      var received = 0
      var ones = 0
      var fresh = 0
      var seen: Set<ValueKey> = []
      var window = -1
      for value in column.values {
        let record = records[value.record]
        if record.window != window {
          seen.removeAll()
          window = record.window
        }
        if record.bytes.withUnsafeBufferPointer({
          $0.slice(from: record.textStart).matches("connection received: ", at: 0)
        }) {
          received += 1
          if value.bytes.elementsEqual(CollectionOfOne(UInt8(ascii: "1"))) { ones += 1 }
          if !seen.contains(ValueKey(value.bytes)) { fresh += 1 }
        }
        seen.insert(ValueKey(value.bytes))
      }
      if received >= 3 && ones == received {
        name(index, .lineNumber, "1 on every `connection received` line: each process's line number", .certain)
      } else if received >= 3 && fresh * 10 >= received * 9 {
        let distinct = distinctValues(column)
        name(
          index, .pid,
          "a new number on each `connection received` line, kept by the lines after it (\(distinct) processes)",
          .certain)
      } else if column.label.flatMap(Self.labelField) == .lineNumber {
        name(index, .lineNumber, "labelled '\(column.label!)'", .likely)
      } else {
        let distinct = distinctValues(column)
        name(index, .pid, "a number shared by the lines of a process (\(distinct) processes in the sample)", .likely)
      }
    }
  }

  /// For how many steps between two lines of one process (same value of `group`, within one sampled stretch)
  /// the column `count` went up by exactly one.
  private func consecutive(group: Int, count: Int) -> (ok: Int, steps: Int) {
    // By record, in an array: a dictionary lookup per value, and a string made of each number to read it,
    // were most of the typing of numbers (callgrind).
    var groupValue = [Value?](repeating: nil, count: records.count)
    for value in columns[group].values { groupValue[value.record] = value.bytes }
    // Groups are process ids: one written as a plain number is kept by that number, the others by their bytes.
    var lastByNumber = IntegerTable<Int, Int>()
    var last: [ValueKey: Int] = [:]
    var ok = 0
    var steps = 0
    var window = -1
    for value in columns[count].values {
      let record = records[value.record]
      if record.window != window {
        // Each stretch of the file on its own: the same process id in another stretch is another process, or
        // the same one much later.
        last.removeAll()
        lastByNumber.removeAll()
        window = record.window
      }
      guard let key = groupValue[value.record], let number = Self.integer(value.bytes) else { continue }
      let previous: Int?
      if let group = Self.plainInteger(key) {
        previous = lastByNumber[group]
        lastByNumber[group] = number
      } else {
        previous = last[ValueKey(key)]
        last[ValueKey(key)] = number
      }
      if let previous {
        steps += 1
        if number == previous + 1 { ok += 1 }
      }
    }
    return (ok, steps)
  }

  /// The number the bytes write as `String(number)` would: digits, no leading zero, no sign but a minus.
  static func plainInteger(_ bytes: Value) -> Int? {
    let digits = bytes.first == UInt8(ascii: "-") ? bytes.dropFirst() : bytes
    guard let first = digits.first, first != UInt8(ascii: "+"), first != UInt8(ascii: "0") || bytes.count == 1
    else { return nil }
    return integer(bytes)
  }

  /// The bytes read as `Int(String)` reads them: a sign, then digits, nil for anything else or too large.
  static func integer(_ bytes: Value) -> Int? {
    var i = bytes.startIndex
    var negative = false
    if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
      negative = sign == UInt8(ascii: "-")
      i += 1
    }
    guard i < bytes.endIndex else { return nil }
    var value = 0
    while i < bytes.endIndex {
      let digit = bytes[i] &- 0x30
      guard digit < 10 else { return nil }
      let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
      let (sum, carry) =
        negative ? shifted.subtractingReportingOverflow(Int(digit)) : shifted.addingReportingOverflow(Int(digit))
      guard !overflow, !carry else { return nil }
      value = sum
      i += 1
    }
    return value
  }

  private mutating func typeByVocabulary() {
    for index in unnamed {
      let column = columns[index]
      guard hasValues(column) else { continue }
      if share(column, \.isBackendType) >= 0.8 {
        name(index, .backendType, "process types (client backend, checkpointer, …)", .certain)
      } else if share(column, \.isCommandTag) >= 0.8, commandTagsAgree(column) {
        name(index, .commandTag, "command tags that match the statements beside them (SELECT, idle, …)", .certain)
      }
    }
  }

  /// Whether a column's values name the command of the statements logged on their lines.
  private func commandTagsAgree(_ column: Column) -> Bool {
    var statements = 0
    var agree = 0
    for value in column.values {
      let record = records[value.record]
      guard
        let keyword = record.bytes.withUnsafeBufferPointer({
          ValueShape.statementKeyword($0.slice(from: record.textStart))
        })
      else { continue }
      statements += 1
      if value.bytes.elementsEqual(keyword) { agree += 1 }
    }
    return statements == 0 || agree * 2 >= statements
  }

  // MARK: - Sessions

  /// What a process's connection messages say of it.
  private struct Session {
    var user: Value?
    var database: Value?
    var application: Value?
    var host: Value?
    var port: Value?
  }

  /// What `%r` prints: `host(port)`, or the host alone for a Unix socket.
  private static func hostPort(_ host: Value, _ port: Value?) -> Value {
    guard let port else { return host }
    return host + [UInt8(ascii: "(")] + port + [UInt8(ascii: ")")]
  }

  private static let names: [PrefixField] = [.user, .database, .applicationName, .remoteHost, .remoteHostPort]

  private mutating func typeBySessions() {
    let textColumns = unnamed.filter { hasValues(columns[$0]) }
    guard !textColumns.isEmpty else { return }
    // Which process each record is, where the prefix says.
    var processOf = [Value?](repeating: nil, count: records.count)
    if let key = columns.indices.first(where: { columns[$0].field == .pid })
      ?? columns.indices.first(where: { columns[$0].field == .sessionID })
    {
      for value in columns[key].values { processOf[value.record] = value.bytes }
    }
    var sessions: [ValueKey: Session] = [:]
    // What a session's messages say, by field in the order of `names` (`host(port)` made once, not once a value).
    func expectations(_ session: Session) -> [Value?] {
      Self.names.map { field in
        switch field {
        case .user: session.user
        case .database: session.database
        case .applicationName: session.application
        case .remoteHost: session.host
        case .remoteHostPort: session.host.map { Self.hostPort($0, session.port) }
        default: nil
        }
      }
    }
    // What each record's own message says, and the values every connection message names, by field.
    var ownSays = [[Value?]?](repeating: nil, count: records.count)
    var named: [PrefixField: Set<ValueKey>] = [:]
    var messages = 0
    for (index, record) in records.enumerated() {
      record.bytes.withUnsafeBufferPointer { view in
        guard let message = ConnectionMessage.parse(view.slice(from: record.textStart)) else { return }
        messages += 1
        var facts = Session()
        switch message {
        case .received(let host, let port):
          facts.host = Value(host)
          facts.port = port.map(Value.init)
        case .authorized(let user, let database, let application):
          facts.user = Value(user)
          facts.database = database.map(Value.init)
          facts.application = application.map(Value.init)
        case .disconnection(let user, let database, let host, let port):
          facts.user = Value(user)
          facts.database = Value(database)
          facts.host = Value(host)
          facts.port = port.map(Value.init)
        }
        // The authorized line's own prefix still prints no application: it is set after.
        var own = facts
        own.application = nil
        ownSays[index] = expectations(own)
        for (field, value) in [
          (PrefixField.user, facts.user), (.database, facts.database), (.applicationName, facts.application),
          (.remoteHost, facts.host),
        ] {
          if let value { named[field, default: []].insert(ValueKey(value)) }
        }
        if let host = facts.host {
          named[.remoteHostPort, default: []].insert(ValueKey(Self.hostPort(host, facts.port)))
        }
        guard let process = processOf[index] else { return }
        var session = sessions[ValueKey(process)] ?? Session()
        session.user = facts.user ?? session.user
        session.database = facts.database ?? session.database
        session.application = facts.application ?? session.application
        session.host = facts.host ?? session.host
        session.port = facts.port ?? session.port
        sessions[ValueKey(process)] = session
      }
    }
    guard messages > 0 else { return }
    // Votes: 3 when a line's own message names the value, 2 when its process's messages do, 1 when some
    // connection message names it for that field; per value counted, so columns of any length compare.
    var score: [Int: [PrefixField: Double]] = [:]
    var support: [Int: [PrefixField: Int]] = [:]
    let unknown = Value("[unknown]".utf8)
    let namedByField = Self.names.map { named[$0] }
    var namedFields: [ValueKey: Int] = [:]
    // What each record's process's messages say: made once per process, not once per value and field.
    var processSays = [[Value?]?](repeating: nil, count: records.count)
    var saysByProcess: [ValueKey: [Value?]] = [:]
    for (record, process) in processOf.enumerated() {
      guard let process else { continue }
      let key = ValueKey(process)
      guard let session = sessions[key] else { continue }
      if saysByProcess[key] == nil { saysByProcess[key] = expectations(session) }
      processSays[record] = saysByProcess[key]
    }
    for index in textColumns {
      var counted = 0
      // By field, in the order of `names`: the votes and the values that had one.
      var votes = [Double](repeating: 0, count: Self.names.count)
      var voted = [Int](repeating: 0, count: Self.names.count)
      var last: Value = []
      var lastNamedAs = 0
      for value in columns[index].values {
        guard !value.bytes.isEmpty, !Self.same(value.bytes, unknown) else { continue }
        counted += 1
        let own = ownSays[value.record]
        let session = processSays[value.record]
        // The fields whose connection messages name this value, a bit each, found once per distinct value (and
        // not looked up again for a value like the one before).
        if !Self.same(value.bytes, last) {
          last = value.bytes
          let key = ValueKey(value.bytes)
          lastNamedAs =
            namedFields[key]
            ?? {
              var bits = 0
              for place in Self.names.indices where namedByField[place]?.contains(key) == true {
                bits |= 1 << place
              }
              namedFields[key] = bits
              return bits
            }()
        }
        let namedAs = lastNamedAs
        for place in Self.names.indices {
          var vote = 0.0
          if let own, let says = own[place], Self.same(says, value.bytes) {
            vote = 3
          } else if let session, let says = session[place], Self.same(says, value.bytes) {
            vote = 2
          } else if namedAs & (1 << place) != 0 {
            vote = 1
          }
          if vote > 0 {
            votes[place] += vote
            voted[place] += 1
          }
        }
      }
      guard counted > 0 else { continue }
      for (place, field) in Self.names.enumerated() where voted[place] > 0 {
        score[index, default: [:]][field] = votes[place] / Double(counted)
        support[index, default: [:]][field] = voted[place]
      }
    }
    // The assignment of fields to columns with the most votes in all, each field and column used once.
    var bestTotal = 0.0
    var bestAssignment: [Int: PrefixField] = [:]
    func search(_ position: Int, _ used: Set<PrefixField>, _ total: Double, _ assignment: [Int: PrefixField]) {
      if position == textColumns.count {
        if total > bestTotal {
          bestTotal = total
          bestAssignment = assignment
        }
        return
      }
      let index = textColumns[position]
      search(position + 1, used, total, assignment)
      for field in Self.names where !used.contains(field) {
        let s = score[index]?[field] ?? 0
        guard s >= 0.5 else { continue }
        var next = assignment
        next[index] = field
        search(position + 1, used.union([field]), total + s, next)
      }
    }
    search(0, [], 0, [:])
    for (index, field) in bestAssignment.sorted(by: { $0.key < $1.key }) {
      let s = score[index]?[field] ?? 0
      let lines = support[index]?[field] ?? 0
      let what: String
      switch field {
      case .user: what = "user"
      case .database: what = "database"
      case .applicationName: what = "application_name"
      case .remoteHostPort: what = "host(port)"
      default: what = "host"
      }
      // 1 a value means only that the names are among the ones connection messages use.
      let level: InferenceConfidence = s >= 1.5 ? .certain : .likely
      name(
        index, field,
        "\(lines) values equal the \(what) that connection messages name for \(s >= 1.5 ? "their process" : "some process")",
        level)
      // A host column whose values carry a port is %r; one whose values never do is %h, unless its label says
      // %r (a local client's %r prints no port either).
      if field == .remoteHost
        && (share(columns[index], \.hasPort) > 0 || columns[index].label.flatMap(Self.labelField) == .remoteHostPort)
      {
        columns[index].field = .remoteHostPort
      }
    }
  }

  // MARK: - Labels and place

  /// The field a label names, in the spellings people give them.
  static func labelField(_ label: String) -> PrefixField? {
    if let exact = PrefixDetector.labels[label], let code = exact.dropFirst().first {
      return PrefixField(rawValue: code)
    }
    let stems: [(String, PrefixField)] = [
      ("app", .applicationName), ("user", .user), ("usr", .user), ("role", .user), ("login", .user),
      ("db", .database), ("database", .database), ("dat", .database), ("client", .remoteHost),
      ("host", .remoteHost), ("remote", .remoteHost), ("addr", .remoteHost), ("ip", .remoteHost),
      ("pid", .pid), ("proc", .pid), ("sess", .sessionID), ("line", .lineNumber), ("xid", .transactionID),
      ("trx", .transactionID), ("txid", .transactionID), ("vxid", .virtualTransactionID),
      ("vtx", .virtualTransactionID), ("sqlstate", .sqlState), ("err", .sqlState), ("code", .sqlState),
      ("tag", .commandTag), ("cmd", .commandTag), ("command", .commandTag), ("backend", .backendType),
      ("query", .queryID), ("qid", .queryID),
    ]
    return stems.first { label.hasPrefix($0.0) }?.1
  }

  private mutating func typeByLabels() {
    for index in unnamed {
      guard let label = columns[index].label, let field = Self.labelField(label),
        !columns.contains(where: { $0.field == field }), field.isFreeText
      else { continue }
      name(index, field, "labelled '\(label)'", .likely)
      if field == .remoteHost && share(columns[index], \.hasPort) > 0 { columns[index].field = .remoteHostPort }
    }
    // `user@database`, as most prefixes people write have it.
    for index in unnamed {
      let element = columns[index].element
      guard element + 2 < template.elements.count, template.elements[element + 1] == .punct(UInt8(ascii: "@")),
        let after = columns.indices.first(where: { columns[$0].element == element + 2 }), columns[after].field == nil,
        !columns.contains(where: { $0.field == .user || $0.field == .database })
      else { continue }
      name(index, .user, "before the @ of user@database", .likely)
      name(after, .database, "after the @ of user@database", .likely)
    }
    for index in unnamed where share(columns[index], \.isHost) >= 0.9 {
      guard !columns.contains(where: { $0.field == .remoteHost || $0.field == .remoteHostPort }) else { break }
      let port = share(columns[index], \.hasPort) > 0
      name(index, port ? .remoteHostPort : .remoteHost, "addresses\(port ? " with ports" : ""): the client", .likely)
    }
  }

  private mutating func typeByPlace() {
    // Names with spaces, or of programs that connect to PostgreSQL, are applications: roles and databases
    // seldom have either.
    if !columns.contains(where: { $0.field == .applicationName }),
      let index = unnamed.first(where: { index in
        let distinct = Set(nonEmpty(columns[index]))
        let spaced =
          distinct.filter { $0.contains(UInt8(ascii: " ")) }.count + (spacedElements[columns[index].element] ?? 0)
        let programs = distinct.filter { ValueShape($0).looksLikeApplication }.count
        return spaced > 0 || programs * 2 >= distinct.count && programs > 0
      })
    {
      name(
        index, .applicationName,
        "values with spaces or names of client programs (\(Self.sample(columns[index]))): application names",
        .likely)
    }
    var order: [PrefixField] = [.user, .database, .applicationName].filter { field in
      !columns.contains { $0.field == field }
    }
    for index in unnamed {
      let column = columns[index]
      if !hasValues(column) {
        name(
          index, .parallelLeader, "empty on every sampled line: read as %P (empty but for parallel workers)", .likely)
        doubts.append("a field is empty on every sampled line; it is read as %P and its values are not kept")
        continue
      }
      guard !order.isEmpty else {
        name(index, .applicationName, "a text field no evidence names", .guessed)
        doubts.append("a field holds text no evidence names (\(Self.sample(column))); read as %a")
        continue
      }
      let field = order.removeFirst()
      name(index, field, "named by its place only (no connection messages say which field it is)", .guessed)
      doubts.append(
        "%\(field.rawValue) was named by its place only (values such as \(Self.sample(column))): nothing in the sample "
          + "says which field it is; give --prefix to be sure")
    }
  }

  private static func sample(_ column: Column) -> String {
    var seen: [String] = []
    for value in column.values where !value.bytes.isEmpty {
      let text = value.bytes.string
      if !seen.contains(text) { seen.append(text) }
      if seen.count == 3 { break }
    }
    return seen.map { "'\($0)'" }.joined(separator: ", ")
  }

  // MARK: - The prefix

  private mutating func assemble() {
    func literal(_ bytes: [UInt8]) -> String {
      String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "%", with: "%%")
    }
    var text = ""
    var sessionStopAt: String.Index?
    var stopAt: String.Index?
    for (index, elementPieces) in pieces.enumerated() {
      if index == cut {
        text += "%q"
        stopAt = text.endIndex
      }
      for piece in elementPieces {
        switch piece {
        case .literal(let bytes): text += literal(bytes)
        case .column(let column):
          guard let field = columns[column].field else { continue }
          if sessionStopAt == nil, cut == nil, field.isSessionOnly { sessionStopAt = text.endIndex }
          text += "%\(field.rawValue)"
        }
      }
    }
    patternText = text
    for column in columns {
      if let reason = column.reason, !evidence.contains(reason) { evidence.append(reason) }
    }
    if let stopAt {
      evidence.append("%q: \(cutLines) lines of background processes print nothing of '\(text[stopAt...])'")
    } else if let at = sessionStopAt {
      // No background process stopped in the sample: the prefix may still have a stop that their lines would
      // show. It can be anywhere between the last field every process prints and the first session field; each
      // place is tried on lines the prefix does not read, and the report says which read any.
      var from = at
      while from > text.startIndex {
        let before = text.index(before: from)
        // The escape before the literal: `%x`, not a literal `%%`.
        if before > text.startIndex, text[text.index(before: before)] == "%" { break }
        from = before
      }
      var place = at
      while true {
        var stopped = text
        stopped.insert(contentsOf: "%q", at: place)
        alternatePatterns.append(stopped)
        guard place > from else { break }
        place = text.index(before: place)
      }
      if !sawBackgroundProcess {
        doubts.append(
          "no background process's line was sampled, so where such lines stop (%q) is not known: each place is "
            + "tried on the lines the prefix does not read")
      }
    }
  }

  /// Whether a sampled line that fits the template has every session field empty, as a background process
  /// (checkpointer, autovacuum) prints them without a `%q`.
  private var sawBackgroundProcess: Bool {
    let session = columns.indices.filter { columns[$0].field?.isSessionOnly == true }
    guard !session.isEmpty else { return false }
    // By record, in an array: a dictionary of counts was most of the prefix's assembly (callgrind).
    var hasValue = [Bool](repeating: false, count: records.count)
    for index in session {
      for value in columns[index].values where !value.bytes.isEmpty { hasValue[value.record] = true }
    }
    return aligned.contains { !hasValue[$0.record] }
  }
}

extension PrefixField {
  /// Fields background processes print nothing for, which `%q` is written before.
  var isSessionOnly: Bool {
    switch self {
    case .user, .database, .applicationName, .remoteHost, .remoteHostPort, .commandTag: true
    default: false
    }
  }
}

/// What a value looks like.
struct ValueShape {
  let bytes: ArraySlice<UInt8>
  init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }
  init(_ bytes: [UInt8]) { self.bytes = bytes[...] }

  private static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
  private static func isHex(_ b: UInt8) -> Bool { PrefixDetector.isHex(b) }

  var isUnsigned: Bool { !bytes.isEmpty && bytes.allSatisfy(Self.isDigit) }
  var isInteger: Bool {
    guard let first = bytes.first else { return false }
    let digits = first == UInt8(ascii: "-") ? bytes.dropFirst() : bytes
    return !digits.isEmpty && digits.allSatisfy(Self.isDigit)
  }
  /// `%c`: hex, a dot, hex.
  var isSessionID: Bool {
    guard let dot = bytes.firstIndex(of: UInt8(ascii: ".")), dot > bytes.startIndex, dot < bytes.endIndex - 1 else {
      return false
    }
    return bytes[..<dot].allSatisfy(Self.isHex) && bytes[(dot + 1)...].allSatisfy(Self.isHex)
      && bytes[..<dot].contains(where: { !Self.isDigit($0) })
  }
  /// `%v`: backend id, a slash, local transaction id.
  var isVirtualXID: Bool {
    guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")), slash > bytes.startIndex, slash < bytes.endIndex - 1
    else { return false }
    return bytes[..<slash].allSatisfy(Self.isDigit) && bytes[(slash + 1)...].allSatisfy(Self.isDigit)
  }
  /// Five digits or capitals with a digit among them, as every SQLSTATE has.
  var isSQLState: Bool {
    bytes.count == 5 && bytes.allSatisfy { Self.isDigit($0) || $0 &- 0x41 < 26 } && bytes.contains(where: Self.isDigit)
  }
  var hasPort: Bool {
    guard bytes.last == UInt8(ascii: ")"), let open = bytes.lastIndex(of: UInt8(ascii: "(")) else { return false }
    return bytes.endIndex - open > 2 && bytes[(open + 1)..<(bytes.endIndex - 1)].allSatisfy(Self.isDigit)
  }
  /// An address a client connects from: `[local]`, IPv4 or IPv6, with or without `(port)`.
  var isHost: Bool {
    var address = bytes
    if hasPort, let open = bytes.lastIndex(of: UInt8(ascii: "(")) { address = bytes[..<open] }
    if address.elementsEqual("[local]".utf8) { return true }
    let parts = address.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
    if parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(Self.isDigit) }) {
      return true
    }
    return address.filter { $0 == UInt8(ascii: ":") }.count >= 2
      && address.allSatisfy { Self.isHex($0) || $0 == UInt8(ascii: ":") }
  }

  static let backendTypes: Set<String> = [
    "client backend", "not initialized", "autovacuum launcher", "autovacuum worker", "archiver",
    "background worker", "background writer", "checkpointer", "logger", "standalone backend", "startup",
    "walreceiver", "walsender", "walwriter", "postmaster", "logical replication launcher",
    "logical replication worker", "parallel worker", "stats collector", "io worker", "slotsync worker",
    "walsummarizer", "TimescaleDB Background Worker Scheduler", "pg_cron scheduler",
  ]
  var isBackendType: Bool { Self.backendTypes.contains(String(decoding: bytes, as: UTF8.self)) }

  /// What `%i` prints: a command tag (`SELECT`, `CREATE TABLE`) or the state of an idle session.
  var isCommandTag: Bool {
    let text = String(decoding: bytes, as: UTF8.self)
    if ["idle", "idle in transaction", "idle in transaction (aborted)", "authentication", "startup"].contains(text) {
      return true
    }
    return !bytes.isEmpty && bytes.allSatisfy { $0 &- 0x41 < 26 || $0 == UInt8(ascii: " ") }
  }

  /// Client programs that name themselves in `application_name`.
  static let clientPrograms: Set<String> = [
    "psql", "pgbench", "pg_dump", "pg_dumpall", "pg_restore", "pg_basebackup", "vacuumdb", "pgAdmin", "DBeaver",
    "Npgsql", "PostgreSQL JDBC Driver", "pgjdbc", "psycopg", "asyncpg", "node-postgres", "pgx", "sidekiq",
    "puma", "unicorn", "gunicorn", "celery", "rails", "django", "metabase", "Metabase", "grafana", "airflow",
    "pg_cron scheduler", "walreceiver", "pganalyze", "datadog-agent", "pgbouncer",
  ]
  var looksLikeApplication: Bool {
    let text = String(decoding: bytes, as: UTF8.self)
    return text.contains(" ") || Self.clientPrograms.contains(text)
      || Self.clientPrograms.contains { text.hasPrefix($0 + " ") || text.hasPrefix($0 + "/") }
  }

  /// The process id in `%c`.
  static func sessionPid(_ bytes: ArraySlice<UInt8>) -> Int? {
    guard let dot = bytes.firstIndex(of: UInt8(ascii: ".")) else { return nil }
    return Int(String(decoding: bytes[(dot + 1)...], as: UTF8.self), radix: 16)
  }

  /// The command tag a logged statement's text begins with, for `duration: … statement: SELECT …`.
  static func statementKeyword(_ message: ByteView) -> [UInt8]? {
    guard message.matches("duration: ", at: 0), let at = message.firstIndex(of: " statement: ", from: 0) else {
      return nil
    }
    var i = at + 12
    while i < message.count, message[i] == UInt8(ascii: " ") { i += 1 }
    var end = i
    while end < message.count, message[end] &- 0x41 < 26 || message[end] &- 0x61 < 26 { end += 1 }
    guard end > i else { return nil }
    let word = message.slice(i, end).map { $0 &- 0x61 < 26 ? $0 - 0x20 : $0 }
    return word == Array("END".utf8) ? Array("COMMIT".utf8) : word
  }
}

extension ArraySlice where Element == UInt8 {
  fileprivate var string: String { String(decoding: self, as: UTF8.self) }
}
