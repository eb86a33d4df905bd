// Infers `log_line_prefix` from many sampled lines at once, never from one: their prefixes are aligned into a
// template (what every line prints alike, and slots where lines differ), and each slot is named from the log's
// own evidence: the shape of its values, how they change from line to line and session to session, the labels
// beside them, and the user, database, application and host that connection messages name for a session.
import IntegerTables
import LogInput
import ParallelRuns

/// How sure an inferred prefix is.
public enum InferenceConfidence: String, Sendable, Codable, Comparable {
  /// Some field was named by its place alone, or the prefix leaves many sampled lines unread.
  case guessed
  /// Every field was named by its shape, its label or convention (`user@database`), not by the log's
  /// connection messages.
  case likely
  /// Every field was named by evidence in the log.
  case certain

  public static func < (a: InferenceConfidence, b: InferenceConfidence) -> Bool {
    let order: [InferenceConfidence] = [.guessed, .likely, .certain]
    return order.firstIndex(of: a)! < order.firstIndex(of: b)!
  }
}

/// What inferring a prefix found.
public struct PrefixInference: Sendable, Equatable {
  public var prefix: LinePrefix
  /// Readings to try on a line the prefix does not match: the prefix with a `%q` stop before its session
  /// fields, when no background process's line was in the sample to say whether it has one.
  public var alternates: [LinePrefix]
  /// Sampled lines with a severity marker, and how many of them the prefix reads.
  public var sampledRecords: Int
  public var matchedRecords: Int
  public var confidence: InferenceConfidence
  /// What chose each field, a sentence each.
  public var evidence: [String]
  /// Where the evidence was thin or readings tie.
  public var doubts: [String]

  /// The prefix, with its alternates to try where it does not match.
  public var readingPrefix: LinePrefix { prefix.trying(alternates) }

  public init(
    prefix: LinePrefix, alternates: [LinePrefix] = [], sampledRecords: Int, matchedRecords: Int,
    confidence: InferenceConfidence, evidence: [String], doubts: [String]
  ) {
    self.prefix = prefix
    self.alternates = alternates
    self.sampledRecords = sampledRecords
    self.matchedRecords = matchedRecords
    self.confidence = confidence
    self.evidence = evidence
    self.doubts = doubts
  }
}

/// One sampled line that has a severity marker, with its prefix cut into tokens.
struct SampledRecord: Sendable {
  let bytes: [UInt8]
  /// Which stretch of the file it came from: consecutive lines of one window are consecutive in the file.
  let window: Int
  let marker: Int
  let tokens: [PrefixToken]
  let severity: Severity
  let textStart: Int
}

public enum PrefixInferrer {
  /// Infers the prefix of `lines`; `windowStarts` are the indices where a new stretch of the file begins
  /// (lines sampled from several places of it). Nil when no line has a severity marker.
  public static func infer(_ lines: [[UInt8]], windowStarts: [Int] = [], threads: Int = 1) -> PrefixInference? {
    let records = sampledRecords(lines, windowStarts: windowStarts, threads: threads)
    guard var (inference, isRead) = inferMatching(records, threads: threads) else { return nil }
    // A stretch of the file the prefix reads under half of was written with another one (it was changed, and
    // the server reloaded): its own prefix is inferred from it and tried where the first does not match.
    var readings = [inference.prefix] + inference.alternates
    // Which records some reading reads, kept up to date as readings are added: those the prefix reads, and
    // of the others those an alternate does (the prefix is not tried on any record again).
    if !inference.alternates.isEmpty {
      let alternates = inference.alternates
      let unread = records.indices.filter { !isRead[$0] }
      let alternateReads = reads(unread.map { records[$0] }, threads: threads) { view in
        alternates.contains { $0.match(view) != nil }
      }
      for (index, read) in zip(unread, alternateReads) where read { isRead[index] = true }
    }
    var matched = inference.matchedRecords
    for window in Set(records.map(\.window)).sorted() {
      let own = records.indices.filter { records[$0].window == window }
      let read = own.filter { isRead[$0] }.count
      guard own.count >= 20, read * 2 < own.count, let other = infer(own.map { records[$0] }, threads: threads),
        !readings.contains(other.prefix), other.matchedRecords * 2 >= own.count
      else { continue }
      readings.append(other.prefix)
      for index in records.indices where !isRead[index] {
        isRead[index] = records[index].bytes.withUnsafeBufferPointer { other.prefix.match($0) != nil }
      }
      inference.alternates.append(other.prefix)
      matched += other.matchedRecords - read
      inference.evidence.append(
        "another prefix, '\(other.prefix.text)', reads \(other.matchedRecords) of the \(own.count) lines sampled at "
          + "one place in the file (\(other.confidence.rawValue)): the prefix was changed there")
    }
    // Lines of another prefix within one stretch: their own prefix, inferred from them.
    let unread = records.indices.filter { !isRead[$0] }.map { records[$0] }
    if unread.count >= 20, unread.count * 20 >= records.count, let other = infer(unread, threads: threads),
      !readings.contains(other.prefix), other.matchedRecords * 2 >= unread.count
    {
      inference.alternates.append(other.prefix)
      matched += other.matchedRecords
      inference.evidence.append(
        "another prefix, '\(other.prefix.text)', reads \(other.matchedRecords) of the \(unread.count) sampled lines the "
          + "first does not (\(other.confidence.rawValue)): the prefix was changed in the file")
    }
    inference.matchedRecords = min(matched, records.count)
    if inference.matchedRecords * 100 < records.count * 95 {
      inference.doubts.append(
        "it reads \(inference.matchedRecords) of the \(records.count) sampled lines with a severity; the others "
          + "may come from another prefix or another program")
      inference.confidence = .guessed
    }
    return inference
  }

  /// Infers the prefix of sampled records: a template of their prefixes, its slots named.
  static func infer(_ records: [SampledRecord], threads: Int = 1) -> PrefixInference? {
    inferMatching(records, threads: threads)?.inference
  }

  /// The inference of `records`, and which of them its prefix reads.
  private static func inferMatching(
    _ records: [SampledRecord], threads: Int
  ) -> (inference: PrefixInference, matches: [Bool])? {
    guard !records.isEmpty else { return nil }
    let (template, alignments) = buildTemplate(records)
    var typing = FieldTyping(template: template, records: records, alignments: alignments)
    typing.run()
    guard let prefix = try? LinePrefix(typing.patternText) else { return nil }
    let matches = reads(records, threads: threads) { prefix.match($0) != nil }
    let inference = PrefixInference(
      prefix: prefix, alternates: typing.alternatePatterns.compactMap { try? LinePrefix($0) },
      sampledRecords: records.count, matchedRecords: matches.count(where: { $0 }), confidence: typing.confidence,
      evidence: typing.evidence, doubts: typing.doubts)
    return (inference, matches)
  }

  /// The longest prefix inference considers, in bytes and in tokens: Heroku's, the longest in use, prints about
  /// 280 bytes and 90 tokens.
  static let maxPrefixBytes = 640
  static let maxPrefixTokens = 200

  /// The sampled lines with a severity marker, tokenized, each with its window, on `threads` threads (most of
  /// this inference's work before the alignment, while the parsing threads have nothing to do yet).
  static func sampledRecords(_ lines: [[UInt8]], windowStarts: [Int], threads: Int = 1) -> [SampledRecord] {
    let starts = windowStarts.sorted()
    return inRuns(lines.count, threads: threads) { range in records(lines, range, windowStarts: starts) }
  }

  /// Whether `read` reads each record, on `threads` threads.
  static func reads(
    _ records: [SampledRecord], threads: Int, _ read: @escaping @Sendable (ByteView) -> Bool
  ) -> [Bool] {
    inRuns(records.count, threads: threads) { range in
      range.map { records[$0].bytes.withUnsafeBufferPointer(read) }
    }
  }

  /// `body`'s results for `0..<count` cut in as many runs as `threads` (one for a short sample), each run on a
  /// thread of its own, joined in order.
  private static func inRuns<T>(
    _ count: Int, threads: Int, _ body: @Sendable (Range<Int>) -> [T]
  ) -> [T] {
    ParallelRuns.map(count, threads: count < 512 ? 1 : min(threads, 8), body)
  }

  /// The records of `lines[range]`: a line's window is the number of window starts at or before it.
  private static func records(_ lines: [[UInt8]], _ range: Range<Int>, windowStarts starts: [Int]) -> [SampledRecord] {
    var records: [SampledRecord] = []
    var nextWindow = 1
    var window = 0
    for index in range {
      while nextWindow - 1 < starts.count, starts[nextWindow - 1] <= index {
        window = nextWindow
        nextWindow += 1
      }
      let line = lines[index]
      guard let first = line.first, first != UInt8(ascii: "\t") else { continue }
      line.withUnsafeBufferPointer { view in
        // A "prefix" longer than any log_line_prefix prints (a severity word deep inside other text) is no
        // evidence of one, and would make the alignment slow.
        guard let marker = PrefixDetector.markerOffset(in: view), marker <= maxPrefixBytes,
          let (severity, markerEnd) = Severity.parseMarker(view, at: marker)
        else { return }
        let tokens = PrefixLexer.tokens(view.slice(0, marker))
        guard tokens.count <= maxPrefixTokens else { return }
        let textStart = LinePrefix.verboseCode(view, at: markerEnd).map { $0.upperBound + 2 } ?? markerEnd
        records.append(
          SampledRecord(
            bytes: line, window: window, marker: marker, tokens: tokens, severity: severity, textStart: textStart))
      }
    }
    return records
  }

  /// How far a line may be from the template and still widen it: lines further off are taken to be of
  /// another kind (another prefix, another program) and left to the matcher.
  static func budget(_ template: PrefixTemplate) -> Int {
    PrefixTemplate.mismatchCost * max(4, template.literalCount / 2)
  }

  /// The template of the records' prefixes, and each record's alignment to it when the last pass over them
  /// made them (it changed nothing): the typing that follows would align every record again to the same
  /// template.
  static func buildTemplate(_ records: [SampledRecord]) -> (PrefixTemplate, [PrefixTemplate.Alignment]?) {
    // Lines of one shape (the same kinds of tokens, punctuation alike) align position by position.
    var groups: [[Int]] = []
    var groupOf: [IntegerList<UInt16>: Int] = [:]
    for (index, record) in records.enumerated() {
      let kinds = record.tokens.map { token -> UInt16 in
        switch token.kind {
        case .time(let millis): millis ? 1001 : 1000
        case .epoch: 1002
        case .word: 1003
        case .punct(let b): UInt16(b)
        }
      }
      let signature = IntegerList(kinds)
      if let group = groupOf[signature] {
        groups[group].append(index)
      } else {
        groupOf[signature] = groups.count
        groups.append([index])
      }
    }
    // Most lines first; among equals, the shape seen first.
    let order = groups.indices.sorted {
      groups[$0].count > groups[$1].count || (groups[$0].count == groups[$1].count && $0 < $1)
    }
    func template(of group: [Int]) -> PrefixTemplate {
      let first = records[group[0]]
      let start = first.bytes.withUnsafeBufferPointer {
        PrefixTemplate(tokens: first.tokens, in: $0.slice(0, first.marker))
      }
      let lines = group.map { (bytes: records[$0].bytes, tokens: records[$0].tokens) }
      return start.generalizingWords(lines).collapsingPhrases(lines)
    }
    var base = order[0]
    // When background processes' lines are the most common shape, the sessions' longer shape is the template.
    let baseRecord = records[groups[base][0]]
    for candidate in order.dropFirst() where groups[candidate].count * 20 >= groups[base].count {
      let longer = template(of: groups[candidate])
      let fit = baseRecord.bytes.withUnsafeBufferPointer {
        longer.align(baseRecord.tokens, in: $0, allowCut: true)
      }
      if fit.cut != nil && fit.cost == 0 {
        base = candidate
        break
      }
    }
    var result = template(of: groups[base])
    let ordered = order.flatMap { groups[$0] }
    var alignments: [PrefixTemplate.Alignment?] = []
    for _ in 0..<3 {
      var changed = false
      var aligner = PrefixTemplate.Aligner(result)
      alignments = Array(repeating: nil, count: records.count)
      for index in ordered {
        let record = records[index]
        record.bytes.withUnsafeBufferPointer { view in
          let line = view.slice(0, record.marker)
          let best = aligner.align(record.tokens, in: line, allowCut: true)
          alignments[index] = best
          guard !best.fits else { return }
          // A line that stops early widens only the part it prints.
          guard best.cost <= budget(result) else { return }
          let widened = result.widened(for: best)
          // A line that would leave fewer than half of the literals is of another kind.
          guard widened.literalCount * 2 >= result.literalCount, widened != result else { return }
          result = widened
          aligner = PrefixTemplate.Aligner(result)
          changed = true
        }
      }
      if !changed { return (result, alignments.map { $0! }) }
    }
    return (result, nil)
  }
}
