import Foundation
import XCTest

/// Runs `iterations` seeded fuzz cases. The seed is printed first (a trap kills the process, so
/// the log must already say how to replay it) and named in every failure; `CIFAKE_FUZZ_SEED`
/// and `CIFAKE_FUZZ_ITERATIONS` replay or extend a run. A case that takes longer than
/// `secondsPerCase` fails as a probable hang.
public func fuzz(_ name: String, seed defaultSeed: UInt64, iterations defaultIterations: Int, secondsPerCase: Double = 2,
                 file: StaticString = #filePath, line: UInt = #line, _ body: (_ iteration: Int, _ mutator: inout Mutator) throws -> Void) {
    let environment = ProcessInfo.processInfo.environment
    let seed = environment["CIFAKE_FUZZ_SEED"].flatMap(UInt64.init) ?? defaultSeed
    let iterations = environment["CIFAKE_FUZZ_ITERATIONS"].flatMap(Int.init) ?? defaultIterations
    print("fuzz \(name): seed \(seed), \(iterations) cases (replay: CIFAKE_FUZZ_SEED=\(seed))")
    var mutator = Mutator(seed: seed)
    for iteration in 0 ..< iterations {
        let began = DispatchTime.now().uptimeNanoseconds
        do { try body(iteration, &mutator) } catch {
            XCTFail("fuzz \(name) seed \(seed) case \(iteration): \(error)", file: file, line: line)
            return
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        if seconds > secondsPerCase {
            XCTFail("fuzz \(name) seed \(seed) case \(iteration) took \(seconds) s (limit \(secondsPerCase) s): a probable hang", file: file, line: line)
            return
        }
    }
}

/// Runs `body` on its own thread and fails (instead of hanging the suite) when it takes longer
/// than `seconds`; `unblock` is then called to let the stuck thread go.
public func withinSeconds<T>(_ seconds: Double, unblock: @escaping () -> Void = {}, _ body: @escaping () throws -> T,
                             file: StaticString = #filePath, line: UInt = #line) throws -> T {
    let work = Unchecked(body), result = Unchecked<Result<T, Error>?>(nil), done = DispatchSemaphore(value: 0)
    Thread.detachNewThread { result.value = Result { try work.value() }; done.signal() }
    if done.wait(timeout: .now() + seconds) == .timedOut {
        unblock()
        done.wait()
        XCTFail("still running after \(seconds) s: blocked", file: file, line: line)
    }
    return try result.value!.get()
}

/// A value handed to another thread that the test waits for.
public final class Unchecked<T>: @unchecked Sendable {
    public var value: T
    public init(_ value: T) { self.value = value }
}
