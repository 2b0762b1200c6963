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

    @Test func headerLayoutIsFlagsThenBigEndianLength() {
        let bytes = FrameEncoder.encode(pingFrame(1))
        let body = pingFrame(1).serializedBytes()
        #expect(bytes[0] == 0)
        #expect(Array(bytes[1...4]) == [0, 0, 0, UInt8(body.count)])
        #expect(Array(bytes[5...]) == body)
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
