// Each input once: a file given twice (or through a link) is known by its device and inode, a copy by its
// size and the bytes it starts and ends with; either is named and read once. A file that only starts like an
// earlier one (a live log and a copy taken of it before) is read, and named, since its lines may be counted
// twice.
import LogInput

struct InputRegistry {
  private var byIdentity: [String: String] = [:]
  private var byContent: [String: String] = [:]
  private var byHead: [String: String] = [:]

  /// What an input was found to be.
  enum Verdict {
    case new
    /// The file an earlier input is: read once.
    case sameFile(String)
    /// A copy of an earlier input: read once.
    case copy(String)
    /// Starts as an earlier input does: read, with a word.
    case sameStart(String)
  }

  /// Places the input opened as `name`, with the first bytes of its text; call once per input.
  mutating func place(_ input: InputFile, name: String, head: [UInt8]) -> Verdict {
    if let identity = input.fileIdentity {
      let key = "\(identity.device):\(identity.inode)"
      if let earlier = byIdentity[key] { return .sameFile(earlier) }
      byIdentity[key] = name
    }
    guard !head.isEmpty else { return .new }
    let headHash = ReadPositions.hash(head[...])
    // A plain file's size and last bytes tell a copy from a file that only began alike.
    if !input.isCompressed, let size = input.fileIdentity?.size, let tail = input.lastBytes(ReadPositions.headBytes) {
      let content = "\(headHash)/\(size)/\(ReadPositions.hash(tail[...]))"
      if let earlier = byContent[content] { return .copy(earlier) }
      byContent[content] = name
    }
    if let earlier = byHead[headHash] { return .sameStart(earlier) }
    byHead[headHash] = name
    return .new
  }
}
