// A server whose lc_messages is not English writes its messages in its language: pgsift reads PostgreSQL's
// English messages, so such a log is named with the language its words come from.
public enum LocalizedMessages {
  /// The language a localized word for "duration" comes from, for the ones PostgreSQL's translations use.
  public static func language(ofDuration word: String) -> String? {
    [
      "Dauer": "German, lc_messages = 'de_…'", "durée": "French, lc_messages = 'fr_…'",
      "duración": "Spanish, lc_messages = 'es_…'", "durata": "Italian, lc_messages = 'it_…'",
      "duração": "Portuguese, lc_messages = 'pt_…'", "продолжительность": "Russian, lc_messages = 'ru_…'",
    ][word]
  }

  /// What to tell about a file whose records read a localized word for "duration" (word → records): the most
  /// frequent word, with its language; nil when there is none.
  public static func note(_ durationWords: [String: Int]) -> String? {
    guard let (word, count) = durationWords.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }) else { return nil }
    return "the server's messages are not in English: \(count) records read '\(word): … ms' for 'duration: … ms'"
      + "\(language(ofDuration: word).map { " (\($0))" } ?? ""); pgsift reads PostgreSQL's English messages, so "
      + "their statements, errors and events are not counted. Set lc_messages = 'C' in postgresql.conf"
  }
}
