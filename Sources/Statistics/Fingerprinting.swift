// The step before aggregation: each statement the statement filter keeps, each message's STATEMENT and each
// auto_explain plan's query get their fingerprint here, from the cache of the thread the step runs on; the
// aggregate after it counts by fingerprint and holds no cache.
import Fingerprint
import LogInput
import ServerEvents

/// Where fingerprinted events go.
public protocol FingerprintedEventSink {
  /// A statement with its identity. `textHash`: the hash of the text the fingerprint was looked up by (the
  /// session steps' values reuse it); `checkHash`: the text's second hash (`Fingerprinter.hashes`), which
  /// with the first and the length tells a text seen before, as the fingerprint cache does. The parts come
  /// apart, not in one struct: building one copied the statement's record for every statement (callgrind).
  mutating func statement(_ event: StatementEvent, resolved: ResolvedStatement, textHash: UInt64, checkHash: UInt64)
  /// A statement the statement filter left out (counted, not aggregated).
  mutating func filteredOut(_ event: StatementEvent)
  mutating func parameters(_ detail: ByteView, pid: Int32)
  /// `fingerprint`: the fingerprint of the message's STATEMENT, if it has one.
  mutating func error(_ event: ServerMessage, fingerprint: Fingerprint?)
  mutating func message(_ event: ServerMessage, fingerprint: Fingerprint?)
  /// An auto_explain plan the statement filter keeps, with its query's identity.
  mutating func plan(query: String, resolved: ResolvedStatement, textHash: UInt64, facts: PlanFacts, from: EventOrigin)
  mutating func activity(_ event: ActivityEvent, from origin: EventOrigin)
}

/// The step is written for the aggregate it feeds, not generic over it: a generic step instantiated in another
/// module runs unspecialized, looking up its type's metadata for every statement (measured: 3% of a run).
public struct Fingerprinting: ServerEventSink {
  public var downstream: StatementAggregator
  /// The cache of the thread this step runs on: a step that moves to another thread (a file's first piece, folded
  /// on the reading thread) is given that thread's.
  public var fingerprinter: Fingerprinter
  /// --include-query, --exclude-query: statements (and plans) whose text this leaves out are not fingerprinted.
  public var statementFilter: StatementFilter?

  public init(
    downstream: StatementAggregator, fingerprinter: Fingerprinter, statementFilter: StatementFilter? = nil
  ) {
    self.downstream = downstream
    self.fingerprinter = fingerprinter
    self.statementFilter = statementFilter
  }

  public mutating func statement(_ event: StatementEvent) {
    if let statementFilter, !statementFilter.keeps(event.text) { return downstream.filteredOut(event) }
    let (textHash, checkHash) = Fingerprinter.hashes(event.text)
    downstream.statement(
      event, resolved: fingerprinter.resolve(event.text, textHash: textHash, checkHash: checkHash),
      textHash: textHash, checkHash: checkHash)
  }

  public mutating func parameters(_ detail: ByteView, pid: Int32) { downstream.parameters(detail, pid: pid) }

  public mutating func error(_ event: ServerMessage) { downstream.error(event, fingerprint: fingerprint(of: event)) }

  public mutating func message(_ event: ServerMessage) {
    downstream.message(event, fingerprint: fingerprint(of: event))
  }

  public mutating func activity(_ event: ActivityEvent, from origin: EventOrigin) {
    guard case .plan(let query, let facts) = event else { return downstream.activity(event, from: origin) }
    // A plan of a statement left out is a record passed over.
    if let statementFilter, !statementFilter.keeps(query) { return downstream.activity(.other, from: origin) }
    let bytes = Array(query.utf8)
    bytes.withUnsafeBufferPointer { text in
      let (textHash, checkHash) = Fingerprinter.hashes(text)
      downstream.plan(
        query: query, resolved: fingerprinter.resolve(text, textHash: textHash, checkHash: checkHash),
        textHash: textHash, facts: facts, from: origin)
    }
  }

  /// The fingerprint of a message's STATEMENT.
  private func fingerprint(of event: ServerMessage) -> Fingerprint? {
    guard let statement = event.statement else { return nil }
    let bytes = Array(statement.utf8)
    return bytes.withUnsafeBufferPointer { fingerprinter.resolve($0).fingerprint }
  }
}
