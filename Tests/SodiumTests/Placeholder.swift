import Testing
@testable import Sodium

@Test func placeholderSodium() {}
