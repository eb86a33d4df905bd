// Tables and sets keyed by integers: process ids, time-bucket indexes. A Swift dictionary runs SipHash over
// every key it looks up, about a hundred instructions for a 4- or 8-byte key, and these tables are looked up
// once or more a log record (callgrind). Here the key is mixed with the table's seed by one multiply, as a key
// that is a hash already needs no more; each is saved exactly as the dictionary or set it stands for.

/// An integer key whose buckets come from one multiply.
public struct IntegerKey<Value: FixedWidthInteger & Sendable>: Hashable, Sendable {
  public var value: Value

  @inlinable
  public init(_ value: Value) { self.value = value }

  @inlinable
  public func hash(into hasher: inout Hasher) { hasher.combine(value) }

  @inlinable
  public func _rawHashValue(seed: Int) -> Int { TableHash.bucket(UInt64(truncatingIfNeeded: value), seed: seed) }
}

/// A dictionary's hash of a key that is a number or a 64-bit hash already (a process id, a text's hash, a
/// fingerprint): mixed with the table's seed by one multiply, where SipHash would cost about a hundred
/// instructions a lookup on the hot path.
public enum TableHash {
  @inlinable @inline(__always)
  public static func bucket(_ hash: UInt64, seed: Int) -> Int {
    var h = hash ^ UInt64(UInt(bitPattern: seed))
    h = (h ^ (h >> 32)) &* 0xD6E8_FEB8_6659_FD93
    return Int(truncatingIfNeeded: h ^ (h >> 32))
  }
}

/// A dictionary by integer, with the dictionary's operations its users need.
public struct IntegerTable<Key: FixedWidthInteger & Sendable, Value> {
  public typealias Index = Dictionary<IntegerKey<Key>, Value>.Index

  @usableFromInline var storage: [IntegerKey<Key>: Value] = [:]

  @inlinable
  public init() {}

  @inlinable
  public init(_ dictionary: [Key: Value]) {
    storage.reserveCapacity(dictionary.count)
    for (key, value) in dictionary { storage[IntegerKey(key)] = value }
  }

  /// The table as a dictionary.
  @inlinable
  public var dictionary: [Key: Value] { Dictionary(uniqueKeysWithValues: storage.map { ($0.key.value, $0.value) }) }

  @inlinable public var isEmpty: Bool { storage.isEmpty }
  @inlinable public var count: Int { storage.count }
  @inlinable public var keys: [Key] { storage.keys.map(\.value) }

  @inlinable
  public var values: Dictionary<IntegerKey<Key>, Value>.Values {
    get { storage.values }
    _modify { yield &storage.values }
  }

  @inlinable
  public subscript(key: Key) -> Value? {
    get { storage[IntegerKey(key)] }
    _modify { yield &storage[IntegerKey(key)] }
  }

  @inlinable
  public subscript(key: Key, default value: @autoclosure () -> Value) -> Value {
    get { storage[IntegerKey(key), default: value()] }
    _modify { yield &storage[IntegerKey(key), default: value()] }
  }

  @inlinable
  public func index(forKey key: Key) -> Index? { storage.index(forKey: IntegerKey(key)) }

  @inlinable @discardableResult
  public mutating func removeValue(forKey key: Key) -> Value? { storage.removeValue(forKey: IntegerKey(key)) }

  @inlinable
  public mutating func removeAll(keepingCapacity keep: Bool = false) { storage.removeAll(keepingCapacity: keep) }
}

extension IntegerTable: Sequence {
  public typealias Element = (key: Key, value: Value)

  public struct Iterator: IteratorProtocol {
    @usableFromInline var base: Dictionary<IntegerKey<Key>, Value>.Iterator

    @inlinable
    init(_ base: Dictionary<IntegerKey<Key>, Value>.Iterator) { self.base = base }

    @inlinable
    public mutating func next() -> (key: Key, value: Value)? {
      guard let (key, value) = base.next() else { return nil }
      return (key.value, value)
    }
  }

  @inlinable
  public func makeIterator() -> Iterator { Iterator(storage.makeIterator()) }

  @inlinable
  public var underestimatedCount: Int { storage.count }
}

extension IntegerTable: Sendable where Value: Sendable {}

extension IntegerTable: Codable where Key: Codable, Value: Codable {
  public init(from decoder: any Decoder) throws {
    self.init(try decoder.singleValueContainer().decode([Key: Value].self))
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(dictionary)
  }
}

/// A set of integers.
public struct IntegerSet<Element: FixedWidthInteger & Sendable>: Sendable {
  @usableFromInline var storage: Set<IntegerKey<Element>> = []

  @inlinable
  public init() {}

  @inlinable public var isEmpty: Bool { storage.isEmpty }
  @inlinable public var count: Int { storage.count }

  @inlinable
  public func contains(_ member: Element) -> Bool { storage.contains(IntegerKey(member)) }

  @inlinable @discardableResult
  public mutating func insert(_ member: Element) -> Bool { storage.insert(IntegerKey(member)).inserted }

  @inlinable
  public mutating func removeAll() { storage.removeAll() }

  @inlinable
  public mutating func formUnion(_ other: IntegerSet) { storage.formUnion(other.storage) }

  /// The members, as a set.
  @inlinable
  public var set: Set<Element> { Set(storage.map(\.value)) }
}

extension IntegerSet: Sequence {
  public struct Iterator: IteratorProtocol {
    @usableFromInline var base: Set<IntegerKey<Element>>.Iterator

    @inlinable
    init(_ base: Set<IntegerKey<Element>>.Iterator) { self.base = base }

    @inlinable
    public mutating func next() -> Element? { base.next()?.value }
  }

  @inlinable
  public func makeIterator() -> Iterator { Iterator(storage.makeIterator()) }

  @inlinable
  public var underestimatedCount: Int { storage.count }
}

/// A dictionary key that is a list of small integers (a line's token kinds), hashed once when made: a
/// dictionary hashing `[UInt32]` itself fed every element to SipHash on each lookup, 1,500 instructions for
/// a prefix of 40 tokens (callgrind, prefix inference).
public struct IntegerList<Element: FixedWidthInteger & Sendable>: Hashable, Sendable {
  public let elements: [Element]
  @usableFromInline let hash: UInt64

  @inlinable
  public init(_ elements: [Element]) {
    self.elements = elements
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for element in elements { h = (h ^ UInt64(truncatingIfNeeded: element)) &* 0x0000_0100_0000_01B3 }
    hash = h ^ UInt64(elements.count)
  }

  @inlinable
  public static func == (a: Self, b: Self) -> Bool { a.hash == b.hash && a.elements == b.elements }

  @inlinable
  public func hash(into hasher: inout Hasher) { hasher.combine(hash) }

  @inlinable
  public func _rawHashValue(seed: Int) -> Int { TableHash.bucket(hash, seed: seed) }
}
