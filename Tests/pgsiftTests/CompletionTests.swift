// Shell completions: the bash script pgsift writes, run in a real bash against a directory of files, completes
// log files, report paths and --format's values; the zsh and fish scripts complete file names too.
import Foundation
import Testing

@Suite("Shell completions")
struct CompletionTests {
  /// What bash's completion offers after `pgsift <words> ` (an empty word being completed), in `directory`.
  static func bashCompletes(_ words: String, script: String, in directory: String) throws -> [String] {
    let program = """
      cd '\(directory)' && source '\(script)'
      read -ra W <<< "pgsift $1"
      COMP_WORDS=("${W[@]}" ""); COMP_CWORD=${#W[@]}; COMP_LINE="pgsift $1 "; COMP_POINT=${#COMP_LINE}
      _pgsift pgsift "" "${W[-1]}"
      printf '%s\\n' "${COMPREPLY[@]}"
      """
    let result = try run("/bin/bash", ["-c", program, "_", words])
    #expect(result.status == 0, "\(result.stderr)")
    return result.stdout.split(separator: "\n").map(String.init).sorted()
  }

  @Test("bash completes log files, report paths, JSON reports for compare, and --format's values")
  func bash() throws {
    let dir = try TemporaryDirectory()
    let files = dir.path("files")
    try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
    for name in ["postgresql.log", "postgresql.log.1.gz", "base.json", "schema.sql"] {
      #expect(FileManager.default.createFile(atPath: "\(files)/\(name)", contents: Data()))
    }
    let script = dir.path("pgsift.bash")
    let generated = try pgsift(["--generate-completion-script", "bash"])
    #expect(generated.status == 0)
    try generated.stdout.write(toFile: script, atomically: true, encoding: .utf8)
    let all = ["base.json", "postgresql.log", "postgresql.log.1.gz", "schema.sql"]
    #expect(try Self.bashCompletes("analyze", script: script, in: files) == all)
    #expect(try Self.bashCompletes("analyze x.log -o", script: script, in: files) == all)
    #expect(try Self.bashCompletes("analyze x.log --schema", script: script, in: files) == ["schema.sql"])
    #expect(try Self.bashCompletes("compare", script: script, in: files) == ["base.json"])
    #expect(try Self.bashCompletes("merge", script: script, in: files) == all)
    #expect(
      try Self.bashCompletes("analyze x.log --format", script: script, in: files) == [
        "html", "json", "openmetrics", "text",
      ])
  }

  @Test("the zsh and fish scripts complete file names for the log files and the outputs")
  func zshAndFish() throws {
    let zsh = try pgsift(["--generate-completion-script", "zsh"])
    #expect(zsh.status == 0 && zsh.stdout.hasPrefix("#compdef pgsift"))
    #expect(zsh.stdout.contains("'*:file:_files'"))
    #expect(zsh.stdout.contains("]:file:_files -g '\\''*.sql'\\'''"))
    let fish = try pgsift(["--generate-completion-script", "fish"])
    #expect(fish.status == 0)
    #expect(fish.stdout.contains("\"pgsift analyze\" -ge 1' -F"))
    #expect(fish.stdout.contains("-l 'output'") && fish.stdout.contains("-rF"))
  }
}
