// swift-tools-version: 6.1
// pgsift: reads PostgreSQL server logs and tells which queries hurt.
//
// Data flows one way and the targets follow it:
//   LogInput (bytes, lines; the vocabulary: times, severities, byte views) -> LogFormats (log entries)
//   -> LogReading (inputs opened, told apart, resumed, sampled, detected, cut into pieces for a consumer)
//   -> ServerEvents (statements, errors, and the server's other records read into typed events)
//   -> Fingerprint (statement identity) -> AppPatterns (per-session loops) -> Statistics (counts and merges)
//   -> Advisors (index and application advice, typed)
//   -> LiveValidation (HypoPG and its keep/reject rule, optional)
//   -> Reports (maps and renders: text, JSON, HTML, OpenMetrics) -> Regression (compare runs, budgets);
//   RunState keeps what a run saves (--state positions and open sessions, --save-state parts for merge);
//   Analysis wires the stages for the CLI: files x work pool x fold;
//   OutputFiles writes what a run produces durably (atomic, synced, mode kept) and locks the --state file;
//   NullCoding writes a report's empty optional fields as null; PrettyJSON writes the JSON report's text, the
//   bytes Foundation's encoder writes, in half its instructions; IntegerTables are dictionaries and sets by
//   integer (process ids, time buckets) that hash a key by one multiply.
import PackageDescription

// The line reader and the fingerprint cache are classes touched once per line, and PrettyJSON's encoder once per
// value: in release builds their run-time exclusivity checks cost more than the work (measured with callgrind;
// see bench/RESULTS.md). The checks stay on in debug builds, where the tests run.
// The stages a line passes through are generic over the stage after them (a parser over its sink), and each
// is in a module of its own. Cross-module optimization lets the release build specialize them for the stages
// Analysis wires together, instead of calling through witness tables once a record (callgrind, bench/RESULTS.md).
let crossModule: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]
let classHeavyHotPath: [SwiftSetting] =
  crossModule + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
  name: "pgsift",
  products: [
    .executable(name: "pgsift", targets: ["pgsift"]),
    .library(name: "Analysis", targets: ["Analysis"]),
    // The stages the fuzz targets in fuzz/ drive one by one.
    .library(name: "LogInput", targets: ["LogInput"]),
    .library(name: "LogFormats", targets: ["LogFormats"]),
    .library(name: "LogReading", targets: ["LogReading"]),
    .library(name: "ServerEvents", targets: ["ServerEvents"]),
    .library(name: "Fingerprint", targets: ["Fingerprint"]),
    .library(name: "Statistics", targets: ["Statistics"]),
    .library(name: "AppPatterns", targets: ["AppPatterns"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
  ],
  targets: [
    .systemLibrary(
      name: "CZlib",
      providers: [.apt(["zlib1g-dev"])]),
    // Intel ISA-L's inflate, loaded at run time (dlopen): gzip falls back to zlib where it is absent.
    .systemLibrary(
      name: "CIsal",
      providers: [.apt(["libisal-dev"])]),
    .systemLibrary(
      name: "CBzip2",
      providers: [.apt(["libbz2-dev"])]),
    .systemLibrary(
      name: "CLzma",
      providers: [.apt(["liblzma-dev"])]),
    .systemLibrary(
      name: "CZstd",
      providers: [.apt(["libzstd-dev"])]),
    .systemLibrary(
      name: "CPgQuery",
      providers: [.apt(["libpg-query-dev"])]),
    .systemLibrary(
      name: "CLibPQ",
      providers: [.apt(["libpq-dev"])]),
    .target(
      name: "LogInput",
      dependencies: ["CZlib", "CIsal", "CBzip2", "CLzma", "CZstd"],
      swiftSettings: classHeavyHotPath),
    .target(
      name: "LogFormats",
      dependencies: ["LogInput", "IntegerTables", "ParallelRuns"],
      swiftSettings: crossModule),
    .target(name: "NullCoding"),
    .target(name: "PrettyJSON", swiftSettings: classHeavyHotPath),
    .target(name: "IntegerTables", swiftSettings: crossModule),
    .target(name: "ParallelRuns"),
    .target(
      name: "LogReading",
      dependencies: ["LogInput", "LogFormats", "Fingerprint", "NullCoding"],
      swiftSettings: crossModule),
    .target(
      name: "ServerEvents",
      dependencies: ["LogFormats", "IntegerTables"],
      swiftSettings: crossModule),
    .target(
      name: "Fingerprint",
      dependencies: ["CPgQuery", "IntegerTables"],
      swiftSettings: classHeavyHotPath),
    .target(
      name: "AppPatterns",
      dependencies: ["Fingerprint", "IntegerTables"],
      swiftSettings: crossModule),
    .target(
      name: "Statistics",
      dependencies: [
        "ServerEvents", "Fingerprint", "AppPatterns", "IntegerTables",
        .product(name: "Histogram", package: "hdrhistogram-swift"),
      ],
      swiftSettings: crossModule),
    .target(
      name: "Advisors",
      dependencies: ["Statistics", "Fingerprint", "AppPatterns"]),
    .target(
      name: "LiveValidation",
      dependencies: ["Advisors", "Statistics", "CLibPQ"]),
    .target(
      name: "Reports",
      dependencies: [
        "LogInput", "LogFormats", "LogReading", "NullCoding", "Statistics", "Advisors", "AppPatterns", "ParallelRuns",
        "PrettyJSON", .product(name: "Crypto", package: "swift-crypto"),
      ]),
    .target(name: "OutputFiles"),
    .target(
      name: "RunState",
      dependencies: ["LogInput", "LogReading", "Statistics", "AppPatterns", "OutputFiles"]),
    .target(
      name: "Analysis",
      dependencies: [
        "LogInput", "LogFormats", "LogReading", "ServerEvents", "Fingerprint", "AppPatterns", "Statistics",
        "Advisors", "LiveValidation", "Reports", "OutputFiles", "RunState",
      ]),
    .target(
      name: "Regression",
      dependencies: ["Reports", "AppPatterns", "Fingerprint", "Statistics"]),
    .executableTarget(
      name: "pgsift",
      dependencies: [
        "Analysis", "Regression", "AppPatterns", "LogFormats", "LogInput", "LogReading", "Reports", "OutputFiles",
        "RunState", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .testTarget(
      name: "pgsiftTests",
      dependencies: [
        "pgsift", "LogInput", "LogFormats", "LogReading", "ServerEvents", "Fingerprint", "AppPatterns", "Statistics",
        "Advisors",
        "Reports",
        "Analysis", "Regression", "OutputFiles", "RunState", "LiveValidation", "IntegerTables", "NullCoding",
        "PrettyJSON",
      ]),
  ]
)

// A generic type the code names with concrete arguments (`KeyedEncodingContainer<CodingKeys>`, a dictionary of
// our keys) is by default instantiated at run time from its mangled name, and checking its requirements looks
// each conformance up by scanning all of the binary's conformance records: once per type, yet 47 M of the 757 M
// instructions of a 10 MiB log's run, most of it the report's Codable types (callgrind, bench/RESULTS.md).
// Direct metadata accessors pass the conformances the compiler already knows.
for target in package.targets where target.type == .regular || target.type == .executable {
  target.swiftSettings =
    (target.swiftSettings ?? []) + [
      .unsafeFlags(
        ["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"], .when(configuration: .release))
    ]
}
