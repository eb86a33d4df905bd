// Parsing a piece of a file into an aggregate: the parser, then the time window and record filter, the event
// classifier and the statement aggregator behind it. Runs on a worker thread; pieces after a file's first read
// in mid-stream mode, keeping what depends on records before them for the fold.
import Fingerprint
import LogFormats
import LogInput
import LogReading
import ServerEvents
import Statistics

/// The stages behind the event classifier: the fingerprinting step, then the aggregate.
typealias Stages = Fingerprinting

/// What parsing one piece gave.
struct PieceResult {
  var classifier: EventClassifier<Stages>
  var counts: ParseCounts
  var diagnostics: Diagnostics
  var outside: Int
  /// Records the record filter left out.
  var filtered: Int
  var zoneNotes: ZoneNotes
}

/// What the stages behind the parser are set up with, the same for every piece of the run.
struct StageSettings: Sendable {
  var thresholdUs: Int64
  var intervalMs: Int64
  var window: TimeWindow
  var filter: RecordFilter
  var statementFilter: StatementFilter?
  var fingerprintBudget: Int?
  var requestBudgetUs: Int64

  init(_ options: AnalysisOptions) {
    requestBudgetUs = options.requestBudgetUs
    thresholdUs = options.thresholdUs
    intervalMs = options.intervalMs
    window = options.window
    filter = options.filter
    statementFilter = options.statementFilter
    fingerprintBudget = options.fingerprintBudget
  }
}

/// A parser with the stages behind it, for one piece of a file.
struct PieceParser<P: LogParser> {
  var parser: P
  var sink: WindowFilter<EventClassifier<Stages>>

  init(_ parser: P, file: FileContext, settings: StageSettings, midStream: Bool, fingerprinter: Fingerprinter) {
    var aggregator = StatementAggregator(thresholdUs: settings.thresholdUs, intervalMs: settings.intervalMs)
    aggregator.fileOrdinal = file.ordinal
    aggregator.fingerprintBudget = settings.fingerprintBudget
    aggregator.requests.budgetUs = settings.requestBudgetUs
    let stages = Stages(
      downstream: aggregator, fingerprinter: fingerprinter, statementFilter: settings.statementFilter)
    self.parser = parser
    sink = WindowFilter(
      downstream: EventClassifier(downstream: stages, midStream: midStream), window: settings.window,
      filter: settings.filter)
  }

  mutating func feed(_ line: ByteView, lineNumber: Int) { parser.feed(line, lineNumber: lineNumber, into: &sink) }

  /// What the piece gave; `finishing` hands out the record still being assembled first.
  mutating func result(finishing: Bool) -> PieceResult {
    if finishing { parser.finish(into: &sink) } else { parser.flush(into: &sink) }
    return PieceResult(
      classifier: sink.downstream, counts: parser.counts, diagnostics: parser.diagnostics, outside: sink.outside,
      filtered: sink.filtered, zoneNotes: parser.zoneNotes)
  }
}

/// Parses a piece cut at record boundaries, with the parser of its file's format.
struct PieceParse: ParserVisitor {
  var piece: PieceCutter.Piece
  let file: FileContext
  let settings: StageSettings
  let fingerprinter: Fingerprinter

  mutating func visit<P: LogParser>(_ parser: P) -> PieceResult {
    var parsing = PieceParser(
      parser, file: file, settings: settings, midStream: piece.index > 0, fingerprinter: fingerprinter)
    piece.forEachLine { parsing.feed($0, lineNumber: $1) }
    // A record still open at the end is read whole by the next run; without --state it is finished now.
    return parsing.result(finishing: !(piece.isLast && file.resumable) || parsing.parser.atRecordBoundary)
  }
}
