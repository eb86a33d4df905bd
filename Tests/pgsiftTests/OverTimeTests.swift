// The workload over time: the interval table, the sessions open per interval (held to a count made from the
// log's own disconnection lines), --timezone, and the HTML charts' axes.
import Foundation
import LogInput
import Reports
import Testing

@Suite("Over time: interval table, sessions, time zones, chart axes")
struct OverTimeTests {
  static let log = Paths.shop.appendingPathComponent("postgresql.log.gz").path

  @Test("the interval table's rows add up to the summary, in text and JSON")
  func intervalTable() throws {
    let report = try pgsift(["analyze", Self.log, "--format", "json"]).report()
    let table = try #require(report.intervals)
    // 66 s of log: the smallest round width that keeps the rows to 24 is 5 s, and 1 s buckets divide it.
    #expect(table.intervalSeconds == 5 && table.exact)
    #expect(table.rows.count == 14)
    #expect(table.rows.reduce(0) { $0 + $1.statements } == report.summary.statements)
    #expect(table.rows.reduce(0) { $0 + $1.slowStatements } == report.summary.slowStatements)
    #expect(table.rows.reduce(0) { $0 + $1.errors } == report.summary.errors)
    #expect(table.rows.reduce(0) { $0 + $1.connections } == report.summary.connections)
    let total = table.rows.reduce(0.0) { $0 + $1.totalMs }
    #expect(abs(total - report.summary.totalMs) < 0.01)
    // Rows start on round times.
    for row in table.rows { #expect(row.start.hasSuffix("0.000Z") || row.start.hasSuffix("5.000Z"), "\(row.start)") }
    let text = try pgsift(["analyze", Self.log]).stdout
    #expect(text.contains("Over time (rows of 5 s)"))
    #expect(text.contains("from 2026-11-25  statements  slow"))
    let first = table.rows[1]
    let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("  04:04:00 ") })
    let cells = line.split(separator: " ")
    #expect(
      cells[1] == FilterTests.grouped(first.statements) && cells[2] == FilterTests.grouped(first.slowStatements))
    // --interval: rows of exactly that width.
    let minute = try pgsift(["analyze", Self.log, "--format", "json", "--interval", "1m"]).report()
    #expect(minute.intervals?.intervalSeconds == 60)
    #expect(
      minute.intervals?.rows.map(\.start) == [
        "2026-11-25T04:03:00.000Z", "2026-11-25T04:04:00.000Z", "2026-11-25T04:05:00.000Z",
      ])
  }

  /// Sessions open during `[from, to)` seconds, counted from the log's disconnection lines: a session ending at
  /// the line's time after its session time, open while any second of it is.
  static func sessionsFromLog(from: Int64, to: Int64) throws -> Int {
    let lines = try shell("gzip -dc '\(log)' | grep 'disconnection: session time'").stdout.split(separator: "\n")
    var open = 0
    for line in lines {
      let text = String(line)
      let stamp = String(text.prefix(19)).replacingOccurrences(of: " ", with: "T") + ".000Z"
      let end = try #require(LogTime.reportStamp(stamp)).time.epochMs
      let match = try #require(text.firstMatch(of: /session time: (\d+):(\d\d):(\d\d)\.(\d\d\d)/))
      let ms = ((Int64(match.1)! * 60 + Int64(match.2)!) * 60 + Int64(match.3)!) * 1000 + Int64(match.4)!
      let startSecond = Int64((Double(end - ms) / 1000).rounded(.down))
      let endSecond = end / 1000
      if startSecond < to && endSecond + 1 > from { open += 1 }
    }
    return open
  }

  @Test("sessions open per interval equal a count made from the log's disconnection lines")
  func sessions() throws {
    let report = try pgsift(["analyze", Self.log, "--format", "json"]).report()
    let rows = try #require(report.intervals?.rows)
    #expect(rows.contains { $0.sessions > 0 })
    for row in rows {
      let start = try #require(LogTime.reportStamp(row.start)).time.epochMs / 1000
      #expect(row.sessions == (try Self.sessionsFromLog(from: start, to: start + 5)), "\(row.start)")
    }
    // The one-second series too, for a few buckets.
    for bucket in try #require(report.timeSeries?.buckets).prefix(12) {
      let start = try #require(LogTime.reportStamp(bucket.start)).time.epochMs / 1000
      #expect(bucket.sessions == (try Self.sessionsFromLog(from: start, to: start + 1)), "\(bucket.start)")
    }
  }

  @Test("--timezone shows every time in the zone asked, with its offset; a bad zone is refused by name")
  func timeZones() throws {
    let utc = try pgsift(["analyze", Self.log, "--format", "json"]).report()
    #expect(utc.timeZone == "UTC")
    #expect(utc.summary.first == "2026-11-25T04:03:57.000Z")
    let paris = try pgsift(["analyze", Self.log, "--format", "json", "--timezone", "Europe/Paris"]).report()
    #expect(paris.timeZone == "Europe/Paris")
    #expect(paris.summary.first == "2026-11-25T05:03:57.000+01:00")
    #expect(paris.errors.first?.firstSeen?.hasSuffix("+01:00") == true)
    #expect(paris.intervals?.rows.first?.start == "2026-11-25T05:03:55.000+01:00")
    let india = try pgsift(["analyze", Self.log, "--format", "json", "--timezone", "+05:30"]).report()
    #expect(india.summary.first == "2026-11-25T09:33:57.000+05:30")
    // The same instants whatever the zone.
    for (a, b) in zip(utc.timeSeries!.buckets, paris.timeSeries!.buckets) {
      #expect(LogTime.reportStamp(a.start)?.time == LogTime.reportStamp(b.start)?.time)
    }
    let text = try pgsift(["analyze", Self.log, "--timezone", "America/New_York"]).stdout
    #expect(text.contains("period:           2026-11-24T23:03:57.000-05:00"))
    #expect(text.contains("(times in America/New_York)"))
    let bad = try pgsift(["analyze", Self.log, "--timezone", "Mars/Olympus"])
    #expect(bad.status == 1)
    #expect(bad.stderr.contains("--timezone Mars/Olympus: not a time zone"))
  }

  @Test("a zone's offset follows daylight saving at each instant")
  func daylightSaving() throws {
    let zone = try DisplayZone("Europe/Paris")
    // 2026-03-29 01:00 UTC: clocks go from 02:00 CET to 03:00 CEST.
    let before = LogTime(epochMs: 1_774_745_999_000)
    let after = LogTime(epochMs: 1_774_746_000_000)
    #expect(zone.stamp(before) == "2026-03-29T01:59:59.000+01:00")
    #expect(zone.stamp(after) == "2026-03-29T03:00:00.000+02:00")
    #expect(LogTime.reportStamp(zone.stamp(after))?.time == after)
    #expect(throws: DisplayZone.UnknownZone.self) { try DisplayZone("+25:00") }
  }

  @Test("time ticks fall on round local times, with the date where it changes")
  func ticks() throws {
    // 2026-11-25 20:10 UTC to 2026-11-27 03:00 UTC, shown at +01:00.
    let start = LogTime(epochMs: 1_795_637_400_000)
    let end = LogTime(epochMs: 1_795_748_400_000)
    let ticks = HTMLReport.timeTicks(from: start, to: end, offsetMinutes: 60, count: 6)
    // 31 hours in at most 6 ticks: every 6 hours, from the first local midnight.
    #expect(ticks.map(\.label) == ["11-26 00:00", "06:00", "12:00", "18:00", "11-27 00:00"])
    for tick in ticks {
      let local = tick.time.epochMs + 3_600_000
      #expect(local % 21_600_000 == 0, "\(tick.label)")
      #expect(tick.time >= start && tick.time <= end)
    }
  }

  @Test(
    "HTML: the charts have value axes, round time ticks in the zone asked, the sessions chart and the interval table",
    .enabled(if: HTMLReportTests.chromium != nil, "needs Chromium (scripts/test installs it)"))
  func chartsInChromium() throws {
    let dir = try TemporaryDirectory()
    let html = dir.path("r.html")
    #expect(try pgsift(["analyze", Self.log, "-o", html, "--timezone", "Europe/Paris"]).status == 0)
    let dom = try HTMLReportTests.dom(html)
    #expect(dom.contains("id=\"sessions-chart\""))
    #expect(dom.contains("time (Europe/Paris), from 2026-11-25"))
    for label in ["05:04:00", "05:04:30", "05:05:00"] { #expect(dom.contains(">\(label)</text>"), "\(label)") }
    #expect(dom.contains(">statements per 1 s</text>") && dom.contains(">p95 ms</text>"))
    #expect(dom.contains(">sessions open</text>") && dom.contains(">connections per 1 s</text>"))
    #expect(dom.contains("<summary>Interval table: rows of 5 s</summary>"))
    #expect(dom.contains("<td>2026-11-25T05:04:00.000+01:00</td>"))
    #expect(dom.contains(">10 ms</text>") && dom.contains(">1 ms</text>"))
  }
}
