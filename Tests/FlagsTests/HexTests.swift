import Testing
import Flags

@Suite struct HexTests {
    @Test func decodesPairsOfDigitsAndRefusesTheRest() {
        #expect(Hex.decode("0a0b") == [0x0A, 0x0B])
        #expect(Hex.decode("FFfe") == [0xFF, 0xFE])
        #expect(Hex.decode("") == [])
        #expect(Hex.decode("0a0") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}
