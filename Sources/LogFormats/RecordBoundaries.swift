// Where a log can be cut into pieces that parse on their own: before a line that starts a record, when no
// record is open. The pieces are parsed in parallel; cutting only here makes each parse exactly as one pass
// over the whole would.
import LogInput

public struct RecordBoundaries {
  private let format: DetectedFormat
  private var insideQuotes = false

  public init(_ format: DetectedFormat) {
    self.format = format
  }

  /// Whether a piece may start with `line`, given that every line before it was observed.
  public func mayStart(at line: ByteView) -> Bool {
    switch format {
    case .stderr(let prefix):
      // A line the prefix matches starts a record whatever came before; continuation lines start with a tab.
      guard let first = line.first, first != UInt8(ascii: "\t") else { return false }
      return prefix.match(line) != nil
    case .csvlog:
      return !insideQuotes
    case .jsonlog, .pgbouncer, .cloudnativepg:
      return true
    case .cloudExport(let provider, let prefix, oneALine: true):
      // A record a line, like jsonlog, but not one that continues the message before it.
      return CloudExportParser.startsRecord(line, provider: provider, prefix: prefix)
    case .syslog, .logplex, .cloudExport:
      // A process's record may get pieces after other processes' lines, and a JSON record may span lines: such
      // files are read whole, in order.
      return false
    }
  }

  /// Notes a line of the input.
  public mutating func observe(_ line: ByteView) {
    guard case .csvlog = format else { return }
    if CsvlogParser.flipsQuoting(line) { insideQuotes.toggle() }
  }

  /// Whether the lines observed so far end a record, so that a later run could start right after them.
  public var atBoundary: Bool { !insideQuotes }
}
