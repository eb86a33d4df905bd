// Unit tests of the statistics stage.
import Foundation
import IntegerTables
import Statistics
import Testing

@Suite("Statistics")
struct StatisticsTests {
  @Test("a sample keeps at most 4 KiB of bind values, cut between values, never inside a quoted one")
  func sampleParameters() {
    func kept(_ detail: String) -> String? {
      Array(detail.utf8).withUnsafeBufferPointer { QueryStats.sampleParametersText($0) }
    }
    #expect(kept("parameters: $1 = '0', $2 = NULL") == "$1 = '0', $2 = NULL")
    let long = String(repeating: "x", count: 5_000)
    #expect(kept("parameters: $1 = '0', $2 = '7', $3 = '\(long)', $4 = 'a'") == "$1 = '0', $2 = '7'")
    // A `, $` inside a quoted value is not a place between values; doubled quotes stay inside the value.
    #expect(kept("parameters: $1 = 'it''s, $9 = no', $2 = '\(long)'") == "$1 = 'it''s, $9 = no'")
    #expect(kept("parameters: $1 = '\(long)', $2 = '0'") == nil)
  }

  @Test("bind values: the label taken off as the text's characters read it")
  func parametersLabel() {
    func kept(_ bytes: [UInt8]) -> String? { bytes.withUnsafeBufferPointer { QueryStats.sampleParametersText($0) } }
    #expect(kept(Array("parameters: $1 = 'é'".utf8)) == "$1 = 'é'")
    #expect(kept(Array("parameters: ".utf8)) == "")
    #expect(kept(Array("$1 = '0'".utf8)) == "$1 = '0'")
    // A combining mark after the label's space makes one character of the two: the text does not begin with
    // the label, and is kept whole.
    let marked = "parameters: \u{301}$1 = '0'"
    #expect(kept(Array(marked.utf8)) == marked)
    // A byte that is not UTF-8 after the label is replaced, as decoding the whole text replaces it.
    #expect(kept(Array("parameters: ".utf8) + [0xFF] + Array(" = 1".utf8)) == "\u{FFFD} = 1")
  }

  @Test("percentiles are exact for few calls, within 0.1% after")
  func percentiles() {
    var small = DurationDistribution()
    for v in [5, 1, 4, 2, 3] as [Int64] { small.record(v * 1000) }
    #expect(small.valueUs(atPercentile: 50) == 3000)
    #expect(small.valueUs(atPercentile: 95) == 5000)
    #expect(small.valueUs(atPercentile: 0) == 1000)
    var large = DurationDistribution()
    for v in 1...10_000 { large.record(Int64(v) * 100) }
    let p95 = Double(large.valueUs(atPercentile: 95))
    #expect(abs(p95 - 950_000) / 950_000 < 0.001)
    #expect(large.count == 10_000)
    // Several at once are each the one asked for alone, exact or from the histogram, and zeros when empty.
    let asked: [Double] = [0, 1, 50, 95, 99, 99.9, 100]
    for distribution in [small, large] {
      #expect(distribution.valuesUs(atPercentiles: asked) == asked.map { distribution.valueUs(atPercentile: $0) })
    }
    #expect(DurationDistribution().valuesUs(atPercentiles: [50, 95]) == [0, 0])
  }

  @Test("a latency bucket is floor(4 log2 d), exactly, at every bound and between them")
  func latencyBuckets() {
    func byLog(_ d: Int64) -> Int {
      d <= 1 ? 0 : min(max(Int((log2(Double(d)) * 4).rounded(.down)), 0), LatencyHistogram.bucketCount - 1)
    }
    var tried: [Int64] = [-5, 0, 1, 2, 3, 4, 5, 1 << 32, (1 << 32) - 1, Int64.max]
    // Each bucket's lowest duration, rounded up from 2^(i/4), and its neighbours.
    for i in 0..<LatencyHistogram.bucketCount {
      let bound = Int64(exp2(Double(i) / 4).rounded(.up))
      tried += [bound - 1, bound, bound + 1]
    }
    tried += Array(1...20_000)
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20_000 { tried.append(Int64.random(in: 1...(1 << 34), using: &generator)) }
    for d in tried { #expect(LatencyHistogram.bucket(d) == byLog(d), "\(d)") }
    #expect(LatencyHistogram.bucket(1_000) == 39 && LatencyHistogram.bucket(1_024) == 40)
  }

  @Test("a list key hashed once is one key for equal lists, another for any change of element, order or length")
  func integerLists() {
    let lists: [[UInt32]] = [
      [], [0], [0, 0], [1], [1, 2], [2, 1], [1, 2, 3], [1, 2, 4], [0x1_0000, 32, 0x2_0001],
    ]
    var table: [IntegerList<UInt32>: Int] = [:]
    for (index, list) in lists.enumerated() { table[IntegerList(list)] = index }
    #expect(table.count == lists.count)
    for (index, list) in lists.enumerated() {
      #expect(table[IntegerList(list)] == index, "\(list)")
      #expect(IntegerList(list) == IntegerList(Array(list)))
    }
    #expect(IntegerList<UInt32>([1, 2]) != IntegerList([2, 1]))
    // Lists of many random kinds, as lines' token kinds, keep apart by their elements even where hashes met.
    var generator = SystemRandomNumberGenerator()
    var random: [IntegerList<UInt16>: [UInt16]] = [:]
    for _ in 0..<2_000 {
      let list = (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt16.random(in: 0...3, using: &generator)
      }
      random[IntegerList(list)] = list
    }
    for (key, list) in random { #expect(key.elements == list) }
  }

  @Test("merging distributions equals recording into one")
  func merge() {
    var a = DurationDistribution()
    var b = DurationDistribution()
    var all = DurationDistribution()
    for v in 1...500 {
      let us = Int64(v * 37 % 1000 + 1)
      if v % 2 == 0 { a.record(us) } else { b.record(us) }
      all.record(us)
    }
    a.merge(b)
    for p in [50.0, 95, 99] { #expect(a.valueUs(atPercentile: p) == all.valueUs(atPercentile: p)) }
  }

  @Test("the interner gives stable ids")
  func interner() {
    var interner = ByteInterner()
    var ids: [Int32] = []
    for name in ["shop", "postgres", "shop", "", "psql", "postgres"] + (0..<200).map({ "db\($0)" }) {
      ids.append(Array(name.utf8).withUnsafeBufferPointer { interner.id(of: $0) })
    }
    #expect(ids[0] == ids[2] && ids[1] == ids[5] && ids[0] != ids[1])
    #expect(interner.count == 204)
    #expect(interner.string(ids[4]) == "psql")
    #expect(interner.string(ids.last!) == "db199")
  }

  @Test("the interner's last-name hint gives the id a lookup gives, whatever the hint holds")
  func internerHint() {
    var plain = ByteInterner()
    var hinted = ByteInterner()
    var last: Int32 = -1
    // Runs of one name, a change, an empty name, a hint past the names known, and a hint naming another name.
    let names = ["shop", "shop", "shop", "blog", "", "", "shop", "shopping", "shop"] + (0..<100).map { "db\($0 % 7)" }
    for (step, name) in names.enumerated() {
      if step == 20 { last = 1_000 }
      if step == 40 { last = 0 }
      let (a, b) = Array(name.utf8).withUnsafeBufferPointer { (plain.id(of: $0), hinted.id(of: $0, last: &last)) }
      #expect(a == b, "\(name) at step \(step): \(a) looked up, \(b) with the hint")
      #expect(last == b && hinted.string(b) == name)
    }
    #expect(hinted.count == plain.count)
  }
}
