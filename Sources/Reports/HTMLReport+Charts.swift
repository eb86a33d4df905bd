// The HTML report's charts: the statements and the connections over time, and the latency histogram, drawn as
// inline SVG with labelled axes (round values, round local times) so a reader can tell what a bar is worth.
import Foundation
import LogInput

extension HTMLReport {
  /// The plotting area inside an 800-wide chart: room on the left and right for the two value axes, below for
  /// the time ticks.
  struct Plot {
    static let width = 800.0
    static let left = 64.0
    static let right = 736.0
    static let top = 12.0
    let bottom: Double
    var height: Double { bottom - Self.top }
    var viewHeight: Int { Int(bottom + 36) }
  }

  /// A round step (1, 2 or 5 times a power of ten) that divides `maximum` into at most `ticks` steps.
  static func roundStep(_ maximum: Double, ticks: Int) -> Double {
    guard maximum > 0 else { return 1 }
    let raw = maximum / Double(ticks)
    let magnitude = pow(10, (log10(raw)).rounded(.down))
    for factor in [1.0, 2, 5, 10] where factor * magnitude >= raw { return factor * magnitude }
    return 10 * magnitude
  }

  /// A value axis on the left or right edge: round ticks from 0 to at least `maximum`, their grid lines, the
  /// axis title; returns the axis' top value (what the plot's height stands for).
  static func valueAxis(
    _ svg: inout String, maximum: Double, plot: Plot, right: Bool, title: String, label: (Double) -> String
  ) -> Double {
    let step = roundStep(maximum, ticks: 4)
    let top = max(step, (maximum / step).rounded(.up) * step)
    let x = right ? Plot.right + 4 : Plot.left - 4
    var value = 0.0
    while value <= top + step / 2 {
      let y = plot.bottom - value / top * plot.height
      if !right {
        svg += "<line class=\"grid\" x1=\"\(f(Plot.left))\" y1=\"\(f(y))\" x2=\"\(f(Plot.right))\" y2=\"\(f(y))\"/>"
      }
      svg +=
        "<text class=\"axis\(right ? "" : " end")\" x=\"\(f(x))\" y=\"\(f(y + 4))\">\(escape(label(value)))</text>"
      value += step
    }
    let titleX = right ? Plot.width - 20 : 14.0
    let middle = (Plot.top + plot.bottom) / 2
    svg +=
      "<text class=\"axis title\" transform=\"translate(\(f(titleX)),\(f(middle))) rotate(\(right ? 90 : -90))\">"
      + "\(escape(title))</text>"
    return top
  }

  /// Round local times between `start` and `end`: at most about `count` of them, each labelled with its time of
  /// day, and with its date where the date changes.
  public static func timeTicks(
    from start: LogTime, to end: LogTime, offsetMinutes: Int, count: Int
  ) -> [(time: LogTime, label: String)] {
    let steps: [Int64] = [
      1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400, 172_800,
      604_800, 2_592_000,
    ]
    let spanMs = max(1, end.epochMs - start.epochMs)
    let stepMs = (steps.first { spanMs / ($0 * 1000) <= Int64(count) } ?? steps.last!) * 1000
    let offsetMs = Int64(offsetMinutes) * 60_000
    let firstLocal = start.epochMs + offsetMs
    var local = (firstLocal >= 0 ? (firstLocal + stepMs - 1) / stepMs : firstLocal / stepMs) * stepMs
    var ticks: [(LogTime, String)] = []
    var lastDay = dayNumber(LogTime(epochMs: firstLocal).civil)
    while local - offsetMs <= end.epochMs {
      let c = LogTime(epochMs: local).civil
      func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
      let day = dayNumber(c)
      var label = "\(two(c.secondOfDay / 3600)):\(two(c.secondOfDay / 60 % 60))"
      if stepMs < 60_000 { label += ":\(two(c.secondOfDay % 60))" }
      if stepMs >= 86_400_000 {
        label = "\(c.year)-\(two(c.month))-\(two(c.day))"
      } else if lastDay != day {
        label = "\(two(c.month))-\(two(c.day)) " + label
      }
      lastDay = day
      ticks.append((LogTime(epochMs: local - offsetMs), label))
      local += stepMs
    }
    return ticks
  }

  static func dayNumber(_ c: (year: Int, month: Int, day: Int, secondOfDay: Int, ms: Int)) -> Int {
    c.year * 400 + c.month * 32 + c.day
  }

  /// The time axis under a plot from `start` to `end`: ticks, labels and the zone the times are in.
  static func timeAxis(
    _ svg: inout String, from start: LogTime, to end: LogTime, offsetMinutes: Int, plot: Plot, zone: String
  ) {
    let span = Double(max(1, end.epochMs - start.epochMs))
    for tick in timeTicks(from: start, to: end, offsetMinutes: offsetMinutes, count: 6) {
      let x = Plot.left + Double(tick.time.epochMs - start.epochMs) / span * (Plot.right - Plot.left)
      svg +=
        "<line class=\"tick\" x1=\"\(f(x))\" y1=\"\(f(plot.bottom))\" x2=\"\(f(x))\" y2=\"\(f(plot.bottom + 4))\"/>"
      svg += "<text class=\"axis mid\" x=\"\(f(x))\" y=\"\(f(plot.bottom + 16))\">\(escape(tick.label))</text>"
    }
    svg +=
      "<text class=\"axis mid\" x=\"\(f((Plot.left + Plot.right) / 2))\" y=\"\(f(plot.bottom + 32))\">"
      + "time (\(escape(zone))), from \(escape(day(start, offsetMinutes: offsetMinutes)))</text>"
  }

  /// The local date of `time`, `2026-11-25`.
  static func day(_ time: LogTime, offsetMinutes: Int) -> String {
    String(LogTime(epochMs: time.epochMs + Int64(offsetMinutes) * 60_000).iso8601.prefix(10))
  }

  /// Buckets of a time series with their instants, and the span they cover.
  static func timed(
    _ series: TimeSeriesReport
  ) -> (
    buckets: [(time: LogTime, bucket: TimeBucket)], start: LogTime, end: LogTime, offsetMinutes: Int
  )? {
    let read = series.buckets.compactMap { b in LogTime.reportStamp(b.start).map { ($0, b) } }
    guard let first = read.first, let last = read.last, read.count == series.buckets.count else { return nil }
    let end = LogTime(epochMs: last.0.time.epochMs + Int64(series.intervalSeconds * 1000))
    return (read.map { ($0.0.time, $0.1) }, first.0.time, end, first.0.offsetMinutes)
  }

  func timeline(_ r: AnalysisReport) -> String {
    guard let series = r.timeSeries, !series.buckets.isEmpty, let timed = Self.timed(series) else {
      return "<section id=\"timeline\"><h2>Over time</h2><p>No timed statements.</p></section>\n"
    }
    let interval = TextReport.interval(series.intervalSeconds)
    let zone = r.timeZone ?? "UTC"
    var html = "<section id=\"timeline\"><h2>Over time</h2>"
    html +=
      "<p class=\"legend\"><span class=\"key all\"></span> statements <span class=\"key slow\"></span> slow "
      + "<span class=\"key p95\"></span> p95; per interval of \(interval), \(series.buckets.count) intervals</p>"
    html += Self.seriesChart(
      id: "timeline-chart", timed: timed, zone: zone, intervalSeconds: series.intervalSeconds,
      bars: [(\.statements, "bar"), (\.slowStatements, "bar slow")], barTitle: "statements per \(interval)",
      line: (\.p95Ms, "p95 ms"),
      label: {
        "\($0.start): \($0.statements) statements, \($0.slowStatements) slow, p95 \(Self.number($0.p95Ms)) ms"
      })
    if timed.buckets.contains(where: { $0.bucket.connections > 0 || $0.bucket.sessions > 0 }) {
      html +=
        "<h3>Connections and sessions</h3><p class=\"legend\"><span class=\"key all\"></span> connections "
        + "received per \(interval) <span class=\"key p95\"></span> sessions open (of those whose end the log "
        + "shows: log_disconnections)</p>"
      html += Self.seriesChart(
        id: "sessions-chart", timed: timed, zone: zone, intervalSeconds: series.intervalSeconds,
        bars: [(\.connections, "bar")], barTitle: "connections per \(interval)",
        line: (\.sessionsValue, "sessions open"),
        label: { "\($0.start): \($0.connections) connections, \($0.sessions) sessions open" })
    }
    html += intervalTable(r)
    return html + "</section>\n"
  }

  /// A chart of bars per interval on the left axis and a line on the right one, over a time axis.
  static func seriesChart(
    id: String,
    timed: (buckets: [(time: LogTime, bucket: TimeBucket)], start: LogTime, end: LogTime, offsetMinutes: Int),
    zone: String, intervalSeconds: Double, bars: [(KeyPath<TimeBucket, Int>, String)], barTitle: String,
    line: (KeyPath<TimeBucket, Double>, String), label: (TimeBucket) -> String
  ) -> String {
    let plot = Plot(bottom: 190)
    let span = Double(max(1, timed.end.epochMs - timed.start.epochMs))
    let plotWidth = Plot.right - Plot.left
    let barWidth = max(0.5, intervalSeconds * 1000 / span * plotWidth - 1)
    var svg =
      "<svg id=\"\(id)\" class=\"chart\" viewBox=\"0 0 \(Int(Plot.width)) \(plot.viewHeight)\" role=\"img\" "
      + "aria-label=\"\(escape(barTitle)) and \(escape(line.1)) over time (\(escape(zone)))\">"
    let maxBar = Double(timed.buckets.map { $0.bucket[keyPath: bars[0].0] }.max() ?? 0)
    let barTop = valueAxis(&svg, maximum: maxBar, plot: plot, right: false, title: barTitle) {
      ReportBuilder.grouped(Int($0))
    }
    let maxLine = timed.buckets.map { $0.bucket[keyPath: line.0] }.max() ?? 0
    let lineTop = valueAxis(&svg, maximum: maxLine, plot: plot, right: true, title: line.1) {
      $0 == $0.rounded() ? ReportBuilder.grouped(Int($0)) : number($0)
    }
    var points: [String] = []
    for (time, bucket) in timed.buckets {
      let x = Plot.left + Double(time.epochMs - timed.start.epochMs) / span * plotWidth
      for (index, bar) in bars.enumerated() {
        let h = Double(bucket[keyPath: bar.0]) / barTop * plot.height
        svg +=
          "<rect class=\"\(bar.1)\" x=\"\(f(x))\" y=\"\(f(plot.bottom - h))\" width=\"\(f(barWidth))\" "
          + "height=\"\(f(h))\"" + (index == 0 ? "><title>\(escape(label(bucket)))</title></rect>" : "/>")
      }
      points.append("\(f(x + barWidth / 2)),\(f(plot.bottom - bucket[keyPath: line.0] / lineTop * plot.height))")
    }
    svg += "<polyline class=\"p95\" points=\"\(points.joined(separator: " "))\"/>"
    timeAxis(&svg, from: timed.start, to: timed.end, offsetMinutes: timed.offsetMinutes, plot: plot, zone: zone)
    return svg + "</svg>"
  }

  /// The interval table under the charts, folded.
  func intervalTable(_ r: AnalysisReport) -> String {
    guard let table = r.intervals, !table.rows.isEmpty else { return "" }
    let connections = table.rows.contains { $0.connections > 0 || $0.sessions > 0 }
    var html =
      "<details id=\"intervals\"><summary>Interval table: rows of \(TextReport.interval(table.intervalSeconds))"
      + (table.exact ? "" : " (edges approximate)") + "</summary><div class=\"scroll\"><table class=\"figures\">"
      + "<thead><tr><th>from</th><th>statements</th><th>slow</th><th>total ms</th><th>p95 ms</th><th>errors</th>"
      + (connections ? "<th>connections</th><th>sessions</th>" : "") + "</tr></thead><tbody>"
    for row in table.rows {
      html +=
        "<tr><td>\(Self.escape(row.start))</td><td>\(Self.group(row.statements))</td>"
        + "<td>\(Self.group(row.slowStatements))</td><td>\(Self.number(row.totalMs))</td>"
        + "<td>\(row.statements > 0 ? Self.number(row.p95Ms) : "-")</td><td>\(Self.group(row.errors))</td>"
        + (connections ? "<td>\(Self.group(row.connections))</td><td>\(Self.group(row.sessions))</td>" : "")
        + "</tr>"
    }
    return html + "</tbody></table></div></details>"
  }

  func latency(_ r: AnalysisReport) -> String {
    guard let histogram = r.latencyHistogram, !histogram.isEmpty else {
      return "<section id=\"latency\"><h2>Latency</h2><p>No timed statements.</p></section>\n"
    }
    let plot = Plot(bottom: 170)
    let step = (Plot.right - Plot.left) / Double(histogram.count)
    var svg =
      "<svg id=\"latency-chart\" class=\"chart\" viewBox=\"0 0 \(Int(Plot.width)) \(plot.viewHeight)\" role=\"img\" "
      + "aria-label=\"latency histogram\">"
    let top = Self.valueAxis(
      &svg, maximum: Double(histogram.map(\.count).max() ?? 0), plot: plot, right: false, title: "statements"
    ) { ReportBuilder.grouped(Int($0)) }
    var decade = histogram.first.map { pow(10, log10($0.upperMs).rounded(.down)) } ?? 1
    for (i, bucket) in histogram.enumerated() {
      let x = Plot.left + Double(i) * step
      let h = Double(bucket.count) / top * plot.height
      let slow = bucket.upperMs > r.thresholdMs
      svg +=
        "<rect class=\"bar\(slow ? " slow" : "")\" x=\"\(Self.f(x))\" y=\"\(Self.f(plot.bottom - h))\" "
        + "width=\"\(Self.f(max(step - 1, 0.5)))\" height=\"\(Self.f(h))\">"
        + "<title>under \(Self.number(bucket.upperMs)) ms: \(bucket.count)</title></rect>"
      // A tick where the buckets pass a power of ten: 1 ms, 10 ms, 100 ms, 1 s.
      if bucket.upperMs >= decade {
        let text =
          decade >= 1000
          ? "\(Self.number(decade / 1000)) s"
          : decade < 1 ? "\(Int((decade * 1000).rounded())) µs" : "\(Int(decade)) ms"
        svg +=
          "<line class=\"tick\" x1=\"\(Self.f(x))\" y1=\"\(Self.f(plot.bottom))\" x2=\"\(Self.f(x))\" "
          + "y2=\"\(Self.f(plot.bottom + 4))\"/><text class=\"axis mid\" x=\"\(Self.f(x))\" "
          + "y=\"\(Self.f(plot.bottom + 16))\">\(text)</text>"
        while decade <= bucket.upperMs { decade *= 10 }
      }
    }
    svg +=
      "<text class=\"axis mid\" x=\"\(Self.f((Plot.left + Plot.right) / 2))\" y=\"\(Self.f(plot.bottom + 32))\">"
      + "duration (logarithmic buckets)</text></svg>"
    return "<section id=\"latency\"><h2>Latency</h2><p class=\"legend\">Statements by duration; "
      + "over the \(Self.number(r.thresholdMs)) ms threshold in red.</p>" + svg + "</section>\n"
  }
}

extension TimeBucket {
  /// The sessions open, as a value a line plots.
  var sessionsValue: Double { Double(sessions) }
}
