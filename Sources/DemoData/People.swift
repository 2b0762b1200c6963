/// People's names in many scripts, each with the ASCII spelling its e-mail address uses.
struct Culture: Sendable {
    enum Order: Sendable {
        case givenFamily        // Zoë Lefèvre
        case familyGiven        // Nguyễn Lan (Vietnamese: family name first, spaced)
        case familyGivenJoined  // 李雷, 佐藤花子, 김민준
    }

    /// (as written, ASCII for the e-mail address)
    let given: [(String, String)]
    let family: [(String, String)]
    let order: Order

    var combinations: Int { given.count * family.count }

    static let all: [Culture] = [
        Culture(given: [
            ("Oliver", "oliver"), ("Amelia", "amelia"), ("George", "george"), ("Isla", "isla"),
            ("Harry", "harry"), ("Ava", "ava"), ("Jack", "jack"), ("Mia", "mia"),
            ("Charlie", "charlie"), ("Grace", "grace"), ("Thomas", "thomas"), ("Emily", "emily"),
            ("James", "james"), ("Sophie", "sophie"), ("William", "william"), ("Lily", "lily"),
            ("Daniel", "daniel"), ("Ella", "ella"), ("Samuel", "samuel"), ("Ruby", "ruby"),
            ("Joshua", "joshua"), ("Hannah", "hannah"), ("Benjamin", "benjamin"), ("Jessica", "jessica"),
        ], family: [
            ("Smith", "smith"), ("Jones", "jones"), ("Taylor", "taylor"), ("Brown", "brown"),
            ("Williams", "williams"), ("Wilson", "wilson"), ("Johnson", "johnson"), ("Davies", "davies"),
            ("Robinson", "robinson"), ("Wright", "wright"), ("Thompson", "thompson"), ("Evans", "evans"),
            ("Walker", "walker"), ("White", "white"), ("Roberts", "roberts"), ("Green", "green"),
            ("Hall", "hall"), ("Wood", "wood"), ("Jackson", "jackson"), ("Clarke", "clarke"),
            ("Patel", "patel"), ("Khan", "khan"), ("Hughes", "hughes"), ("Edwards", "edwards"),
        ], order: .givenFamily),
        Culture(given: [  // Polish
            ("Łukasz", "lukasz"), ("Małgorzata", "malgorzata"), ("Wojciech", "wojciech"), ("Agnieszka", "agnieszka"),
            ("Paweł", "pawel"), ("Katarzyna", "katarzyna"), ("Grzegorz", "grzegorz"), ("Zofia", "zofia"),
        ], family: [
            ("Nowak", "nowak"), ("Kowalski", "kowalski"), ("Wiśniewska", "wisniewska"), ("Wójcik", "wojcik"),
            ("Kamiński", "kaminski"), ("Lewandowska", "lewandowska"), ("Zieliński", "zielinski"), ("Dąbrowska", "dabrowska"),
        ], order: .givenFamily),
        Culture(given: [  // German
            ("Jürgen", "juergen"), ("Anja", "anja"), ("Lukas", "lukas"), ("Käthe", "kaethe"),
            ("Jörg", "joerg"), ("Sabine", "sabine"), ("Matthias", "matthias"), ("Uwe", "uwe"),
        ], family: [
            ("Müller", "mueller"), ("Schröder", "schroeder"), ("Weiß", "weiss"), ("Groß", "gross"),
            ("Bäcker", "baecker"), ("Köhler", "koehler"), ("Fischer", "fischer"), ("Hoffmann", "hoffmann"),
        ], order: .givenFamily),
        Culture(given: [  // French
            ("Zoë", "zoe"), ("Chloé", "chloe"), ("François", "francois"), ("Hélène", "helene"),
            ("Jérôme", "jerome"), ("Amélie", "amelie"), ("Benoît", "benoit"), ("Cécile", "cecile"),
        ], family: [
            ("Lefèvre", "lefevre"), ("Dubois", "dubois"), ("Girard", "girard"), ("Rousseau", "rousseau"),
            ("Leclère", "leclere"), ("Bérenger", "berenger"), ("Moreau", "moreau"), ("Gauthier", "gauthier"),
        ], order: .givenFamily),
        Culture(given: [  // Spanish and Portuguese
            ("José", "jose"), ("María", "maria"), ("Iñigo", "inigo"), ("Begoña", "begona"),
            ("João", "joao"), ("Conceição", "conceicao"), ("Raúl", "raul"), ("Inês", "ines"),
        ], family: [
            ("García", "garcia"), ("Núñez", "nunez"), ("Peña", "pena"), ("Gonçalves", "goncalves"),
            ("Fernández", "fernandez"), ("Muñoz", "munoz"), ("Simões", "simoes"), ("Álvarez", "alvarez"),
        ], order: .givenFamily),
        Culture(given: [  // Chinese
            ("雷", "lei"), ("伟", "wei"), ("芳", "fang"), ("静", "jing"),
            ("敏", "min"), ("强", "qiang"), ("丽", "li"), ("杰", "jie"),
        ], family: [
            ("李", "li"), ("王", "wang"), ("张", "zhang"), ("刘", "liu"),
            ("陈", "chen"), ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"),
        ], order: .familyGivenJoined),
        Culture(given: [  // Arabic
            ("محمد", "mohammed"), ("أحمد", "ahmed"), ("فاطمة", "fatima"), ("علي", "ali"),
            ("مريم", "maryam"), ("يوسف", "youssef"), ("ليلى", "layla"), ("عمر", "omar"),
        ], family: [
            ("العلي", "alali"), ("حداد", "haddad"), ("الخطيب", "alkhatib"), ("منصور", "mansour"),
            ("السيد", "alsayed"), ("حسن", "hassan"), ("ناصر", "nasser"), ("عبدالله", "abdullah"),
        ], order: .givenFamily),
        Culture(given: [  // Greek
            ("Γιώργος", "giorgos"), ("Ελένη", "eleni"), ("Δημήτρης", "dimitris"),
            ("Κατερίνα", "katerina"), ("Νίκος", "nikos"), ("Σοφία", "sofia"),
        ], family: [
            ("Παπαδόπουλος", "papadopoulos"), ("Οικονόμου", "oikonomou"), ("Γεωργίου", "georgiou"),
            ("Νικολάου", "nikolaou"), ("Βασιλείου", "vasileiou"), ("Αλεξίου", "alexiou"),
        ], order: .givenFamily),
        Culture(given: [  // Russian and Ukrainian
            ("Иван", "ivan"), ("Ольга", "olga"), ("Дмитрий", "dmitry"), ("Наталья", "natalya"),
            ("Сергей", "sergey"), ("Анна", "anna"), ("Олександр", "oleksandr"), ("Ірина", "iryna"),
        ], family: [
            ("Петров", "petrov"), ("Иванова", "ivanova"), ("Смирнов", "smirnov"), ("Кузнецова", "kuznetsova"),
            ("Шевченко", "shevchenko"), ("Бондаренко", "bondarenko"), ("Попов", "popov"), ("Соколова", "sokolova"),
        ], order: .givenFamily),
        Culture(given: [  // Hindi
            ("राहुल", "rahul"), ("प्रिया", "priya"), ("अमित", "amit"),
            ("अनीता", "anita"), ("विकास", "vikas"), ("सुनीता", "sunita"),
        ], family: [
            ("शर्मा", "sharma"), ("वर्मा", "verma"), ("गुप्ता", "gupta"),
            ("सिंह", "singh"), ("पटेल", "patel"), ("जोशी", "joshi"),
        ], order: .givenFamily),
        Culture(given: [  // Japanese
            ("花子", "hanako"), ("太郎", "taro"), ("由美", "yumi"), ("健", "ken"), ("さくら", "sakura"), ("翔太", "shota"),
        ], family: [
            ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"), ("渡辺", "watanabe"), ("伊藤", "ito"),
        ], order: .familyGivenJoined),
        Culture(given: [  // Korean
            ("민준", "minjun"), ("서연", "seoyeon"), ("지훈", "jihoon"), ("하은", "haeun"), ("도윤", "doyoon"), ("지우", "jiwoo"),
        ], family: [
            ("김", "kim"), ("이", "lee"), ("박", "park"), ("최", "choi"), ("정", "jung"), ("강", "kang"),
        ], order: .familyGivenJoined),
        Culture(given: [  // Turkish
            ("Çağla", "cagla"), ("Gökhan", "gokhan"), ("Şule", "sule"), ("Ömer", "omer"), ("Ayşe", "ayse"), ("İbrahim", "ibrahim"),
        ], family: [
            ("Yılmaz", "yilmaz"), ("Öztürk", "ozturk"), ("Çelik", "celik"), ("Şahin", "sahin"), ("Doğan", "dogan"), ("Kılıç", "kilic"),
        ], order: .givenFamily),
        Culture(given: [  // Vietnamese
            ("Lan", "lan"), ("Minh", "minh"), ("Hương", "huong"), ("Dũng", "dung"), ("Thảo", "thao"), ("Quang", "quang"),
        ], family: [
            ("Nguyễn", "nguyen"), ("Trần", "tran"), ("Lê", "le"), ("Phạm", "pham"), ("Hoàng", "hoang"), ("Võ", "vo"),
        ], order: .familyGiven),
        Culture(given: [  // Irish and Welsh
            ("Siobhán", "siobhan"), ("Niamh", "niamh"), ("Seán", "sean"),
            ("Dafydd", "dafydd"), ("Rhiannon", "rhiannon"), ("Aoife", "aoife"),
        ], family: [
            ("O'Brien", "obrien"), ("Ó Súilleabháin", "osuilleabhain"), ("Llywelyn", "llywelyn"),
            ("MacGiolla", "macgiolla"), ("Ní Bhriain", "nibhriain"), ("Pryce-Jones", "prycejones"),
        ], order: .givenFamily),
        Culture(given: [  // Scandinavian
            ("Søren", "soren"), ("Åsa", "asa"), ("Björn", "bjorn"), ("Ingrid", "ingrid"), ("Jens", "jens"), ("Märta", "marta"),
        ], family: [
            ("Åberg", "aberg"), ("Sørensen", "sorensen"), ("Lindqvist", "lindqvist"),
            ("Østergaard", "ostergaard"), ("Håkansson", "hakansson"), ("Nyström", "nystrom"),
        ], order: .givenFamily),
    ]
}

/// One person's name as written and the local part of their e-mail address.
struct PersonName: Sendable {
    let name: String
    let emailLocalPart: String
}

/// Every (culture, given, family) combination, numbered, so a person is a number: the
/// same number always gives the same name, and distinct numbers distinct e-mail addresses
/// (given names are spelt differently in ASCII across cultures).
struct NameBook: Sendable {
    let names: [PersonName]
    /// Coprime with `names.count`, so `(n * stride + offset) % count` visits every name once.
    let stride: Int

    static let shared = NameBook()

    private init() {
        var names: [PersonName] = []
        for culture in Culture.all {
            for (family, familyASCII) in culture.family {
                for (given, givenASCII) in culture.given {
                    let name = switch culture.order {
                    case .givenFamily: "\(given) \(family)"
                    case .familyGiven: "\(family) \(given)"
                    case .familyGivenJoined: "\(family)\(given)"
                    }
                    names.append(PersonName(name: name, emailLocalPart: "\(givenASCII).\(familyASCII)"))
                }
            }
        }
        self.names = names
        stride = [769, 997, 1009, 1013, 7919].first { gcd($0, names.count) == 1 }!
    }

    /// The `index`-th person of a group (an organisation's staff) whose names start at
    /// `offset`: a name, and its e-mail address at `domain`, made unique past the end of
    /// the book by a number.
    func person(_ index: Int, offset: Int) -> PersonName {
        names[((index % names.count) * stride + offset) % names.count]
    }

    func emailLocalPart(_ index: Int, offset: Int) -> String {
        let base = person(index, offset: offset).emailLocalPart
        let round = index / names.count
        return round == 0 ? base : "\(base)\(round + 1)"
    }
}

private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
