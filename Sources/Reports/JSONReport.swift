// The JSON report: the report model, encoded with its documented names (docs/json-schema.md).
import Foundation

public enum JSONReport {
  public static func render(_ report: AnalysisReport) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes, .sortedKeys]
    let data = try encoder.encode(report)
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  public static func decode(_ text: String) throws -> AnalysisReport {
    try JSONDecoder().decode(AnalysisReport.self, from: Data(text.utf8))
  }
}
