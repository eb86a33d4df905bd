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
}
