// The run's files x work pool x fold: reading hands pieces to the pool, whose threads parse them; results come
// back in input order and are folded into each file's aggregate, and each file's into the run's. A file's end
// is a piece of its own, so that several files can be in flight at once.
import Fingerprint
import LogFormats
import LogInput
import LogReading
import ServerEvents
import Statistics

/// What each worker thread keeps: its own fingerprint cache.
struct WorkerContext {
  var fingerprinter = Fingerprinter()
}

/// A parsed piece, or a file's end, in the order reading handed them out.
enum Piece {
  case parsed(PieceResult)
  case end(FileEnd)
}

/// Pieces cross threads inside the pool, one owner at a time.
struct UncheckedPiece: @unchecked Sendable {
  var piece: Piece
}

typealias Pool = WorkPool<WorkerContext, UncheckedPiece>

/// A piece on its way to the worker that parses it, taken out once, so that the worker holds the only
/// reference to its buffer and can hand the buffer back to be filled again.
private final class PieceHandoff: @unchecked Sendable {
  private var piece: PieceCutter.Piece?

  init(_ piece: PieceCutter.Piece) { self.piece = piece }

  func take() -> PieceCutter.Piece {
    let taken = piece!
    piece = nil
    return taken
  }
}

/// Takes what reading hands out: pieces go to the pool, results to the fold; the buffers of parsed pieces go
/// back to `spares`.
struct PoolConsumer: PieceConsumer {
  let pool: Pool
  let settings: StageSettings
  var fold: Fold
  let spares: PieceSpares?

  mutating func parse(_ piece: consuming PieceCutter.Piece, of file: FileContext) {
    let settings = settings
    let handoff = PieceHandoff(consume piece)
    let spares = spares
    pool.submit(
      { context in
        var parse = PieceParse(
          piece: handoff.take(), file: file, settings: settings, fingerprinter: context.fingerprinter)
        let result = file.withParser(&parse)
        spares?.give(&parse.piece.bytes)
        return UncheckedPiece(piece: .parsed(result))
      }, receive: { fold.add($0.piece) })
  }

  mutating func parseInOrder<P: LogParser>(
    _ parser: P, of file: FileContext, lines: (_ feed: (ByteView, _ number: Int) -> Bool) -> Void
  ) {
    var parsing = PieceParser(parser, file: file, settings: settings, midStream: false, fingerprinter: Fingerprinter())
    lines { line, number in
      parsing.feed(line, lineNumber: number)
      return parsing.parser.atRecordBoundary
    }
    submit(.parsed(parsing.result(finishing: !file.resumable || parsing.parser.atRecordBoundary)))
  }

  mutating func end(_ file: FileEnd) { submit(.end(file)) }

  private mutating func submit(_ piece: Piece) {
    let unchecked = UncheckedPiece(piece: piece)
    pool.submit({ _ in unchecked }, receive: { fold.add($0.piece) })
  }

  mutating func finish() { pool.finish { fold.add($0.piece) } }
}

/// Folds pieces, in input order, into the run's aggregate.
struct Fold {
  var total: StatementAggregator
  var diagnostics = Diagnostics()
  var files: [FileSummary] = []
  /// The file being folded.
  private var classifier: EventClassifier<Stages>?
  private var counts = ParseCounts()
  private var fileDiagnostics = Diagnostics()
  private var outside = 0
  private var filtered = 0
  private var zoneNotes = ZoneNotes()
  private let fingerprinter: Fingerprinter

  init(total: StatementAggregator, fingerprinter: Fingerprinter) {
    self.total = total
    self.fingerprinter = fingerprinter
  }

  mutating func add(_ piece: Piece) {
    switch piece {
    case .parsed(let result):
      if classifier == nil {
        // The first piece's aggregate takes the later ones in, on this thread: give it this thread's fingerprinter.
        classifier = result.classifier
        classifier!.downstream.fingerprinter = fingerprinter
        classifier!.downstream.downstream.continueSessions(of: &total)
      } else {
        classifier!.append(result.classifier) { stages, next, continuing in
          stages.downstream.merge(next.downstream, continuing: continuing)
        }
      }
      counts.merge(result.counts)
      fileDiagnostics.merge(result.diagnostics)
      outside += result.outside
      filtered += result.filtered
      zoneNotes.merge(result.zoneNotes)
    case .end(let end):
      endFile(end)
    }
  }

  private mutating func endFile(_ end: FileEnd) {
    var end = end
    let at = InputLocation(file: end.summary.path)
    diagnostics.merge(end.before)
    diagnostics.merge(fileDiagnostics)
    if let line = zoneNotes.unknownLine {
      diagnostics.report(
        .notice, at: InputLocation(file: at.file, line: line),
        "time zone abbreviation not known; times are read as UTC (give --log-timezone)")
    }
    if let ambiguous = zoneNotes.ambiguous {
      diagnostics.report(
        .notice, at: InputLocation(file: at.file, line: ambiguous.line),
        LogTimeZone.ambiguityNote(ambiguous.zone, alternatives: ambiguous.alternatives))
    }
    if var classifier {
      classifier.finish()
      if classifier.orphanSecondaryRecords > 0 {
        diagnostics.report(
          .notice, at: at,
          "\(classifier.orphanSecondaryRecords) DETAIL/STATEMENT records had no record before them to belong to")
      }
      var aggregate = classifier.downstream.downstream
      aggregate.endFile()
      if let note = LocalizedMessages.note(aggregate.summary.localizedDurations) {
        diagnostics.report(.localizedMessages, at: at, note)
      }
      total.merge(aggregate)
    }
    diagnostics.merge(end.after)
    end.take(counts, outside: outside, filtered: filtered, into: &diagnostics)
    files.append(end.summary)
    classifier = nil
    counts = ParseCounts()
    fileDiagnostics = Diagnostics()
    outside = 0
    filtered = 0
    zoneNotes = ZoneNotes()
  }
}
