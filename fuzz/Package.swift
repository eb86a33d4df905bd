// swift-tools-version: 6.1
// Fuzz targets for pgsift's input stages, built with libFuzzer and AddressSanitizer:
//   swift build --package-path fuzz -Xswiftc -sanitize=fuzzer,address --product FuzzLogParser
// `fuzz/run` builds them, runs each for a given time, and keeps what crashes. See fuzz/README.md.
import PackageDescription

let fuzzTargets = [
  "FuzzLogParser", "FuzzPrefixDetector", "FuzzSQLLexer", "FuzzDecompression", "FuzzCloudExport",
]

let package = Package(
  name: "pgsift-fuzz",
  products: fuzzTargets.map { .executable(name: $0, targets: [$0]) },
  dependencies: [.package(name: "pgsift", path: "..")],
  targets: [
    .target(
      name: "FuzzSupport",
      dependencies: [
        .product(name: "LogInput", package: "pgsift"),
        .product(name: "LogFormats", package: "pgsift"),
        .product(name: "ServerEvents", package: "pgsift"),
        .product(name: "Fingerprint", package: "pgsift"),
        .product(name: "Statistics", package: "pgsift"),
      ])
  ]
    + fuzzTargets.map { name in
      .executableTarget(
        name: name,
        dependencies: [
          "FuzzSupport",
          .product(name: "LogInput", package: "pgsift"),
          .product(name: "LogFormats", package: "pgsift"),
          .product(name: "ServerEvents", package: "pgsift"),
          .product(name: "Fingerprint", package: "pgsift"),
          .product(name: "Statistics", package: "pgsift"),
          .product(name: "AppPatterns", package: "pgsift"),
        ],
        // No Swift `main`: libFuzzer's drives the target through `LLVMFuzzerTestOneInput`.
        swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    }
)
