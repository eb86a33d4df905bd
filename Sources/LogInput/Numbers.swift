// Counts as every report writes them.

extension BinaryInteger {
  /// With a comma between thousands: `1,234,567`.
  public var grouped: String {
    let digits = String(magnitude)
    var out = self < 0 ? "-" : ""
    for (k, c) in digits.enumerated() {
      if k > 0 && (digits.count - k) % 3 == 0 { out += "," }
      out.append(c)
    }
    return out
  }
}
