// --redact: reports that leave the database team keep the shape of every statement and message but none of
// the values the application sent.
import Statistics

extension AnalysisReport {
  /// The report without literal values: examples, parameters and logged plans go, statements are given as
  /// normalized text (constants replaced by `$n`), and messages lose their numbers and quoted values.
  /// Index advice keeps its DDL: a partial index's predicate is advice about the schema, not a logged value.
  public func redacted() -> AnalysisReport {
    var report = self
    report.isRedacted = true
    for index in report.queries.indices {
      report.queries[index].example = nil
      report.queries[index].exampleParameters = nil
      report.queries[index].plan?.examplePlan = nil
      report.queries[index].parseError = report.queries[index].parseError.map(LiteralRedaction.message)
    }
    for index in report.errors.indices {
      report.errors[index].message = LiteralRedaction.message(report.errors[index].message)
      report.errors[index].exampleMessage = LiteralRedaction.message(report.errors[index].exampleMessage)
      // A DETAIL is where the server quotes the row (`Key (email)=(…) already exists`): nothing of it is kept.
      report.errors[index].exampleDetail = nil
      report.errors[index].exampleHint = report.errors[index].exampleHint.map(LiteralRedaction.message)
      report.errors[index].exampleStatement = report.errors[index].exampleStatement.map(LiteralRedaction.statement)
    }
    // Endpoints keep their names, not the ids a path may hold.
    for index in report.queries.indices {
      report.queries[index].endpoints = report.queries[index].endpoints?.map {
        var share = $0
        share.endpoint = LiteralRedaction.endpoint(share.endpoint)
        return share
      }
    }
    report.endpoints = report.endpoints.map {
      $0.map {
        var endpoint = $0
        endpoint.endpoint = LiteralRedaction.endpoint(endpoint.endpoint)
        return endpoint
      }
    }
    if var events = report.events {
      for index in events.lockWaits.indices {
        events.lockWaits[index].exampleStatement = events.lockWaits[index].exampleStatement.map(
          LiteralRedaction.statement)
        events.lockWaits[index].holder = events.lockWaits[index].holder.map(LiteralRedaction.message)
      }
      for index in events.deadlocks.examples.indices {
        events.deadlocks.examples[index].detail = LiteralRedaction.deadlockDetail(
          events.deadlocks.examples[index].detail)
        events.deadlocks.examples[index].statement = events.deadlocks.examples[index].statement.map(
          LiteralRedaction.statement)
      }
      report.events = events
    }
    return report
  }
}
