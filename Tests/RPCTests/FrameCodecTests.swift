import Testing
import Deflate
import Messages
@testable import RPC

@Suite struct FrameCodecTests {
    func pingFrame(_ opaque: UInt64) -> Frame {
        var ping = Certportal_Rpc_V1_Ping()
        ping.opaque = opaque
        return Frame(callId: 0, kind: .ping(ping))
    }

    @Test func decodesFramesFedOneByteAtATime() throws {
        var stream: [UInt8] = []
        var message = Frame()
        message.callId = 7
        message.kind = .message(Array(repeating: 0xAB, count: 300))
        FrameEncoder.append(message, to: &stream)
        FrameEncoder.append(pingFrame(42), to: &stream)
        var decoder = FrameDecoder()
        var frames: [Frame] = []
        for byte in stream {
            decoder.append([byte])
            while let frame = try decoder.next() { frames.append(frame) }
        }
        #expect(frames == [message, pingFrame(42)])
        #expect(!decoder.hasPartialFrame)
    }

    @Test(arguments: [1, 1000, 4096, 65_536, 300_000])
    func decodesFramesReadStraightIntoItsBuffer(pieceBytes: Int) throws {
        var frames: [Frame] = []
        for (index, size) in [0, 5, 1 << 20, 70_000, 3, 200_000, 1 << 20].enumerated() {
            frames.append(Frame(callId: UInt64(index + 1), kind: .message((0..<size).map { UInt8(truncatingIfNeeded: $0 &+ index) })))
            frames.append(pingFrame(UInt64(index)))
        }
        var stream: [UInt8] = []
        for frame in frames { FrameEncoder.append(frame, to: &stream) }
        var decoder = FrameDecoder(maxBodyBytes: 2 << 20)
        var decoded: [Frame] = []
        var offset = 0
        while offset < stream.count {
            // A socket that has at most `pieceBytes` ready, read into the decoder's room.
            let result = try decoder.read(room: 4096) { room throws(SystemCallError) -> IOResult in
                let count = min(room.count, pieceBytes, stream.count - offset)
                stream.withUnsafeBytes { source in
                    room.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + count]))
                }
                return .processed(count)
            }
            guard case .processed(let count) = result else { Issue.record("read gave \(result)"); return }
            offset += count
            while let frame = try decoder.next() { decoded.append(frame) }
        }
        #expect(decoded == frames)
        #expect(!decoder.hasPartialFrame)
    }

    @Test func headerLayoutIsFlagsThenBigEndianLength() {
        let bytes = FrameEncoder.encode(pingFrame(1))
        let body = pingFrame(1).serializedBytes()
        #expect(bytes[0] == 0)
        #expect(Array(bytes[1...4]) == [0, 0, 0, UInt8(body.count)])
        #expect(Array(bytes[5...]) == body)
    }

    /// Header and body exactly as the generic (protobuf-c) path writes them.
    func generic(_ frame: Frame) -> [UInt8] {
        let body = frame.serializedBytes()
        let length = body.count
        return [0, UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + body
    }

    @Test(arguments: [0, 1, 127, 128, 300, 16_383, 16_384, 1 << 20])
    func messageFramesAreTheBytesProtobufCWritesAndReadBack(size: Int) throws {
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        for callID: UInt64 in [0, 1, 127, 128, 300, 1 << 35, .max] {
            let frame = Frame(callId: callID, kind: .message(payload))
            let bytes = FrameEncoder.encode(frame)
            #expect(bytes == generic(frame))
            var decoder = FrameDecoder(maxBodyBytes: 2 << 20)
            decoder.append(bytes)
            #expect(try decoder.next() == frame)
            #expect(FrameDecoder.messageFrame(Array(bytes[5...]), 0..<bytes.count - 5) == frame)
        }
    }

    @Test func unusualMessageFramesTakeTheGenericWay() throws {
        // Fields in reverse order, a repeated call id (the last counts), an empty payload:
        // still message frames, as protobuf-c reads them.
        let reversed: [UInt8] = [0x1A, 2, 0xAA, 0xBB, 0x08, 5]
        let repeated: [UInt8] = [0x08, 1, 0x08, 9, 0x1A, 0]
        for (body, expected) in [(reversed, Frame(callId: 5, kind: .message([0xAA, 0xBB]))), (repeated, Frame(callId: 9, kind: .message([])))] {
            #expect(FrameDecoder.messageFrame(body, 0..<body.count) == expected)
            #expect(try Frame(serializedBytes: body) == expected)
        }
        // Another kind, a second payload, a payload longer than the body, a cut-off varint:
        // not for the short way; the generic decoder has the last word.
        let ping = pingFrame(4).serializedBytes()
        let twoPayloads: [UInt8] = [0x08, 1, 0x1A, 1, 0xAA, 0x1A, 1, 0xBB]
        let tooLong: [UInt8] = [0x08, 1, 0x1A, 9, 0xAA]
        let cutOff: [UInt8] = [0x08, 0x80]
        let cutOffAfterThePayload: [UInt8] = [0x1A, 1, 0xAA, 0x08, 0x80]
        let overlongCallID: [UInt8] = [0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01, 0x1A, 0]
        let callIDAsBytes: [UInt8] = [0x0A, 1, 7, 0x1A, 0]
        for body in [ping, twoPayloads, tooLong, cutOff, cutOffAfterThePayload, overlongCallID, callIDAsBytes] {
            #expect(FrameDecoder.messageFrame(body, 0..<body.count) == nil)
        }
        var decoder = FrameDecoder()
        for body in [ping, twoPayloads] {
            decoder.append([0, 0, 0, 0, UInt8(body.count)] + body)
            #expect(try decoder.next() == Frame(serializedBytes: body))
        }
        decoder.append([0, 0, 0, 0, UInt8(tooLong.count)] + tooLong)
        #expect(throws: FrameError.self) { try decoder.next() }
    }

    @Test func rejectsUnknownFlagBits() {
        var decoder = FrameDecoder()
        decoder.append([0x02, 0, 0, 0, 0])
        #expect(throws: FrameError.unknownFlags(0x02)) { try decoder.next() }
    }

    @Test func rejectsAnOversizedLengthBeforeTheBodyArrives() {
        var decoder = FrameDecoder(maxBodyBytes: 1024)
        decoder.append([0x00, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: FrameError.tooLarge(length: 0xFFFF_FFFF, limit: 1024)) { try decoder.next() }
    }

    @Test func waitsForTheWholeBody() throws {
        var decoder = FrameDecoder()
        let bytes = FrameEncoder.encode(pingFrame(3))
        decoder.append(Array(bytes.dropLast()))
        #expect(try decoder.next() == nil)
        #expect(decoder.hasPartialFrame)
        decoder.append([bytes.last!])
        #expect(try decoder.next() == pingFrame(3))
    }

    @Test func compressesLargeBodiesOnlyWhenAsked() throws {
        var frame = Frame()
        frame.callId = 1
        frame.kind = .message([UInt8](repeating: 0, count: 100_000))
        let plain = FrameEncoder.encode(frame)
        let compressed = FrameEncoder.encode(frame, compress: true)
        #expect(plain[0] == 0)
        #expect(compressed[0] == FrameFormat.compressedFlag)
        #expect(compressed.count < 2000)
        var decoder = FrameDecoder()
        decoder.append(compressed)
        #expect(try decoder.next() == frame)
        // Small bodies stay plain even when compression is allowed.
        #expect(FrameEncoder.encode(pingFrame(1), compress: true)[0] == 0)
    }

    @Test func refusesAZlibBomb() {
        var frame = Frame()
        frame.kind = .message([UInt8](repeating: 0, count: 8 << 20))
        let body = Deflate.compress(frame.serializedBytes())
        var decoder = FrameDecoder(maxBodyBytes: 4 << 20)
        let length = body.count
        decoder.append([FrameFormat.compressedFlag, UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + body)
        #expect(throws: FrameError.self) { try decoder.next() }
    }

    @Test func rejectsABodyThatIsNotAFrame() {
        var decoder = FrameDecoder()
        decoder.append([0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF])
        #expect(throws: FrameError.self) { try decoder.next() }
    }
}
