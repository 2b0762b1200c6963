import Testing
import Messages

@Suite struct ProtoWireTests {
    /// The fields `ProtoWire.Reader` reads from `bytes`, or the reason it refuses them.
    static func read(_ bytes: [UInt8]) -> Result<[String], ProtoDecodingError> {
        bytes.withUnsafeBytes { raw in
            var reader = ProtoWire.Reader(raw, messageName: "test.Message")
            var fields: [String] = []
            do throws(ProtoDecodingError) {
                while let (field, value) = try reader.next() {
                    switch value {
                    case .varint(let number): fields.append("\(field)=\(number)")
                    case .bytes(let bytes): fields.append("\(field)=\(Array(bytes))")
                    }
                }
                return .success(fields)
            } catch {
                return .failure(error)
            }
        }
    }

    @Test func readsWhatTheGeneratedEncoderWrites() throws {
        var status = Certportal_Rpc_V1_Trailers()
        status.code = 5
        status.message = "not found"
        let expected = ["1=5", "2=\(Array("not found".utf8))"]
        #expect(try Self.read(status.serializedBytes()).get() == expected)
        // A fixed-width field (unknown here) is skipped; the largest varint is ten bytes.
        let max: [UInt8] = [0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x01]
        #expect(try Self.read([0x11, 1, 2, 3, 4, 5, 6, 7, 8] + max).get() == ["1=\(UInt64.max)"])
    }

    @Test(arguments: [
        ([0x08, 0x80], "a varint runs past the end"),
        ([0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x02], "a varint holds more than 64 bits"),
        ([0x08] + [UInt8](repeating: 0x80, count: 10) + [0x00], "a varint holds more than 64 bits"),
        ([0x0A, 5, 1, 2], "field 1 runs past the end"),
        ([0x00, 1], "field number 0"),
        ([0x0B], "field 1 has wire type 3"),
    ] as [([UInt8], String)])
    func refusesBytesThatAreNoMessage(_ bytes: [UInt8], _ reason: String) {
        guard case .failure(let error) = Self.read(bytes) else {
            Issue.record("read \(bytes) without a refusal")
            return
        }
        #expect(error.reason == reason, "\(error)")
    }
}
