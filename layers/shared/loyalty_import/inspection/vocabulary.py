"""Header vocabulary: what a column's NAME says about its role (en de fr es pt it nl he ja; pl cs ru).

Terms are written naturally and normalized like headers are. A Latin term matches at the start of
a word (so `punkte` also matches the compound `punktestand`); a term ending in `=` must be the
whole word; a term starting with `*` matches inside a word (German/Dutch compounds); Hebrew and
Japanese terms match anywhere (no spaces between words), unless they end in `=` ('ת ז=').
"""

# ruff: noqa: RUF001 - the vocabulary is Cyrillic, Hebrew and Japanese text on purpose
from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from functools import lru_cache

_CAMEL = re.compile(r'(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])')
_NON_WORD = re.compile(r'[\W_]+')
_E_MAIL = re.compile(r'\be (?=mail)')


def normalize_header(raw: str) -> str:
    """Lower case; no accents, BOM, punctuation, camelCase or snake_case.

    'E-Mail_Adresse' -> 'email adresse', 'currentBalance' -> 'current balance'.
    """
    text = _CAMEL.sub(' ', raw.replace('\ufeff', '').strip())
    text = unicodedata.normalize('NFKC', text).casefold()
    text = ''.join(ch for ch in unicodedata.normalize('NFD', text) if not unicodedata.combining(ch))
    text = _NON_WORD.sub(' ', text).strip()
    return _E_MAIL.sub('e', text)


def _compile(terms: str) -> re.Pattern[str]:
    parts = []
    for raw_term in terms.split('|'):
        term = raw_term.strip()
        if not term:
            continue
        whole = term.endswith('=')
        inside = term.startswith('*')
        word = normalize_header(term.strip('=*'))
        escaped = re.escape(word)
        if not word.isascii():
            parts.append(rf'\b{escaped}\b' if whole else escaped)
        elif inside:
            parts.append(escaped + (r'\b' if whole else ''))
        else:
            parts.append(r'\b' + escaped + (r'\b' if whole else ''))
    return re.compile('|'.join(parts))


# --- EMAIL ---------------------------------------------------------------------------------------
_EMAIL = _compile(
    'email|mail=|mails=|почта|емейл|имейл|mail address|mailadres|*mailadresse|courriel|correo|'
    'correo electronico|posta elettronica|endereco eletronico|correio eletronico|'
    'correio electronico|e postadres|דוא"ל|דואל|דואר אלקטרוני|'
    'אימייל|מייל|メール|メールアドレス|電子メール|eメール'
)
# The customer's own address, said explicitly.
_EMAIL_OWN = _compile(
    'customer|client|contact=|member|user|login|account|primary|main|kunde|kunden|mitglied|cliente|'
    'membre|socio|miembro|klant|lid=|לקוח|חבר|顧客|会員|お客様'
)
# Addresses that may be the customer's but are qualified (ranked below a plain 'Email').
_EMAIL_QUALIFIED = _compile(
    'billing|shipping|work|personal|private|home|business|company|office|invoice|rechnung|'
    'geschaftlich|privat|facturation|facturacion|fatturazione|factuur|請求|配送|会社|勤務'
)
# Someone else's address: never the customer key.
_EMAIL_OTHER_PERSON = _compile(
    'owner|staff|менеджер|ответственн|пригласи|реферер|employee|agent|rep=|representative|'
    'salesperson|sales|manager|referrer|referred|referral|referee|sponsor|inviter|invited|secondary|'
    'alternate|alternative|alt=|other|cc=|bcc=|assistant|parent|guardian|partner|spouse|friend|'
    'recipient|sender|gift|cashier|seller|vendor|created by|updated by|modified by|assigned|approver|'
    'advisor|consultant|coach|2=|second|backup|additional|extra|old=|previous|former|inhaber|'
    'besitzer|mitarbeiter|verkaufer|berater|betreuer|empfehler|geworben|werber|zweit|*zweit|sekundar|'
    'weitere|zusatzlich|vorherige|alte=|proprietaire|responsable|employe|vendeur|conseiller|parrain|'
    'secondaire|autre|ancien|commercial|gestionnaire|propietario|empleado|vendedor|asesor|referido|'
    'referente|padrino|secundario|alternativo|otro|anterior|gerente|agente|proprietario|responsavel|'
    'funcionario|consultor|indicado|indicacao|outro|responsabile|dipendente|venditore|consulente|'
    'presentato|secondaria|alternativa|altro|precedente|gestore|eigenaar|medewerker|verkoper|'
    'adviseur|verwijzer|doorverwezen|aangebracht|tweede|secundair|alternatief|vorig|beheerder|'
    'accountmanager|בעלים|נציג|עובד|מוכר|ממליץ|מפנה|הופנה|משני|חלופי|אחר|מנהל|איש מכירות|担当|紹介者|紹介元|'
    'スタッフ|従業員|社員|販売員|所有者|オーナー|管理者|副|サブ|予備|旧'
)


class EmailHeader(StrEnum):
    OWN = 'OWN'  # 'Email', 'Customer email'
    QUALIFIED = 'QUALIFIED'  # 'Billing email'
    OTHER_PERSON = 'OTHER_PERSON'  # 'Contact owner', 'Referrer email'
    NONE = 'NONE'  # says nothing about email


# Headers are typed by people: 'Emial', 'Ponits balance', 'Redeemd points'. A word one swap,
# deletion or insertion away from one of these reads as it (never a substitution: 'gmail').
_TYPO_TARGETS = (
    'email',
    'points',
    'balance',
    'available',
    'current',
    'spendable',
    'redeemed',
    'earned',
    'spent',
    'pending',
    'lifetime',
    'expired',
    'total',
    'reserved',
    'locked',
    'punkte',
    'puntos',
    'pontos',
    'punten',
    'saldo',
    'solde',
)


def _one_edit(word: str, target: str) -> bool:
    if len(word) == len(target):
        diff = [i for i in range(len(word)) if word[i] != target[i]]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and word[diff[0]] == target[diff[1]]
            and word[diff[1]] == target[diff[0]]
        )
    short, long_ = (word, target) if len(word) < len(target) else (target, word)
    if len(long_) - len(short) != 1:
        return False
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def correct_typos(header: str) -> str:
    words = []
    for word in header.split(' '):
        if len(word) >= 5 and word.isascii() and word not in _TYPO_TARGETS:
            word = next((t for t in _TYPO_TARGETS if _one_edit(word, t)), word)  # noqa: PLW2901
        words.append(word)
    return ' '.join(words)


@lru_cache(maxsize=4096)
def classify_email_header(name: str) -> tuple[EmailHeader, str]:
    """The class of an email-ish header and the word that decided it (for the explanation)."""
    header = correct_typos(normalize_header(name))
    other = _EMAIL_OTHER_PERSON.search(header)
    if other:
        return EmailHeader.OTHER_PERSON, other.group(0)
    email = _EMAIL.search(header)
    if not email:
        return EmailHeader.NONE, ''
    qualified = _EMAIL_QUALIFIED.search(header)
    if qualified and not _EMAIL_OWN.search(header):
        return EmailHeader.QUALIFIED, qualified.group(0)
    return EmailHeader.OWN, email.group(0)


# A number word ('E-mail 3 Address') or digits ending the header ('メールアドレス2', 'email2').
_NUMBER = re.compile(r'(?:^| )(\d{1,2})(?= |$)|(?<=\D)(\d{1,2})$')


@lru_cache(maxsize=4096)
def numbered_header(name: str) -> tuple[str, int]:
    """A header without its number, and the number: 'E-mail 3' -> ('email', 3).

    'E-mail 2 Address' -> ('email address', 2); 'メールアドレス2' -> ('メールアドレス', 2); unnumbered or
    with several numbers: (header, 0). Exports number the columns of a repeated field.
    """
    header = normalize_header(name)
    numbers = list(_NUMBER.finditer(header))
    if len(numbers) != 1 or (numbers[0].start() == 0 and numbers[0].end() == len(header)):
        return header, 0
    number = numbers[0]
    stem = f'{header[: number.start()]} {header[number.end() :]}'
    return ' '.join(stem.split()), int(number.group(1) or number.group(2))


# --- POINTS --------------------------------------------------------------------------------------
# The unit: what is counted.
_UNIT = _compile(
    'point|points|pts=|pt=|punkt|*punkte|punten|*punten|punt=|puntos|punto=|pontos|ponto=|punti|'
    'kudos|body=|bodu=|балл|бонус|очки|נקודות|נק=|ポイント|pt'
)
# Balances counted in another unit than points (a stamp card, coins, miles): never imported as
# points on their own. A deployment whose program calls its points so names them (PointsNames).
_OTHER_UNIT = _compile(
    'stamp|stamps|coin=|coins|miles|star=|stars=|stempel|*stempel|tampon|timbre|sello|sellos|carimbo|'
    'selo=|selos|timbri|bollini|bollino|zegel|stempels|znacz|razitk|штамп|марк|בולים|スタンプ|コイン|マイル'
)
# A header that is one generic word names nothing: 'Value', 'Data' (the content must speak).
_GENERIC = re.compile(
    r'(?:value|values|wert|werte|valeur|valeurs|valor|valores|valore|waarde|data|daten|donnees|datos|'
    r'dados|dati|field|column|col|spalte|colonne|columna|coluna|colonna|kolom|unnamed)(?: [a-z0-9]{1,3})?'
    r'|[a-z]|[0-9]{1,3}'  # a spreadsheet's column letter, a bare number
)
# 'Now/current/spendable' words: the balance.
_BALANCE = _compile(
    'balance|current|available|spendable|redeemable|usable|held|remaining|on hand|unused|unredeemed|'
    'net=|approved|active|bal=|avail|curr=|cur=|dostepn|aktualn|zustatek|dostupn|баланс|остаток|'
    'доступн|текущ|saldo|*saldo|solde|*stand|*guthaben|guthaben|kontostand|verfugbar|aktuell|'
    'disponible|actuel|actual|restant|vigente|disponive|disponivel|atual|atuais|disponibili|attuali|'
    'residu|beschikbaar|beschikbare|huidig|resterend|actueel|יתרה|יתרת|זמינות|זמין|נוכחי|残高|保有|利用可能|'
    '現在|残り|使用可能|有効ポイント'
)
# Of those, the nouns that name a balance by themselves ('Balance', 'Saldo'); the others qualify a
# unit ('Available points') and alone name nothing ('Active', 'Current': a flag, a status?).
_BALANCE_NOUN = _compile(
    'balance|bal=|zustatek|баланс|остаток|saldo|*saldo|solde|*stand|*guthaben|guthaben|kontostand|'
    'יתרה|יתרת|残高'
)
# Point numbers that are NOT the current balance.
_DECOY = _compile(
    'scadenz|scadono|vencer|caducar|expirar|expirant|ablauf|vervalt|'
    'earn|accru|accumul|collect|gain|award|issu|grant|given=|spent|spend=|redeemed|redemption|'
    'redeem=|used|usage|consum|pending|lifetime|life time|all time|alltime|total|sum=|cumul|expir|'
    'next|last|previous|prior|old=|before|initial|starting|opening|referral|status points|qualifying|'
    'needed|required|to next|until|threshold|min=|max=|avg|average|adjust|change|delta|diff|refund|'
    'revers|cancel|void|deduct|withdraw|burn|lost|forfeit|history|transactions|per=|rate|ratio|'
    'multiplier|target|goal|projected|estimated|transfer|received|sent=|reserved|locked|blocked|'
    'frozen|on hold|hold=|ytd=|mtd=|ltd=|tot=|exp=|redm|rdm|accum|wykorzystan|zdobyt|zebran|wydan|'
    'oczekuj|lacznie|suma=|zuzyt|wygasl|vyuzit|pouzit|ziskan|cerpan|celkem|nasbiran|списан|начислен|'
    'потрачен|накоплен|всего|итого|сгора|сгорел|ожида|использован|получен|verdient|gesammelt|gesamt|'
    '*gesamt|summe|eingelost|verbraucht|genutzt|verwendet|ausgegeben|ausstehend|abgelaufen|verfallen|'
    'lebenslang|bisher|vergeben|gutgeschrieben|erhalten|vorjahr|vorherig|letzte|nachste|gagne|acquis|'
    'depense|utilise|echange|en attente|attente|expire|perime|historique|precedent|dernier|prochain|'
    'obtenu|ganado|acumulado|gastado|canjeado|usado|utilizado|redimido|pendiente|vencido|caducado|'
    'expirado|historico|ultimo|proximo|obtenido|ganho|gasto|resgatado|pendente|obtido|guadagnat|'
    'accumulat|totale|spes|riscatt|usat|utilizzat|in attesa|scadut|storico|prossimo|ottenut|verdiend|'
    'gespaard|totaal|uitgegeven|ingewisseld|gebruikt|verzilverd|in afwachting|verlopen|vervallen|'
    'laatste|volgende|שנצברו|נצברו|צבורות|סה כ|סך|שמומשו|מומשו|שנוצלו|נוצלו|ממתינות|ממתין|שפגו|פגו|'
    'פג תוקף|שהוצאו|הוצאו|קודם|獲得|累計|合計|総|使用済|利用済|使用ポイント|'
    '利用ポイント|失効|期限切れ|保留|付与|前回|次回|有効期限|仮'
)
# Issued / granted / given / awarded: the points handed out over time, not what is left of them.
_ISSUED = _compile(
    'issu|grant|given=|award|allocat|allott|distribu|bestow|handed out|gifted|vergeben|*vergabe|'
    'ausgegeben|gewahrt|zugeteilt|verliehen|ausgestellt|zugewiesen|gutgeschrieben|attribue|accorde|'
    'octroye|emis=|emises=|decerne|donnes=|offert|otorgad|concedid|asignad|emitid|entregad|adjudicad|'
    'regalad|atribuid|outorgad|creditad|oferecid|assegnat|attribuit|concess|emess|erogat|accreditat|'
    'conferit|toegekend|toegewezen|verstrekt|gegeven=|bijgeschreven|uitgereikt|przyznan|przydzielon|'
    'nadan|rozdan|udelen|pridelen|vydan|выдан|выпущен|предоставлен|присвоен|подарен|зачислен|начислен|'
    'הוענק|הונפק|הוקצו|שניתנו=|ניתנו=|付与|発行|進呈|贈呈|配布|授与|加算|累計'
)
# Negation: 'Not yet available', 'nicht verfügbare Punkte', 'points non disponibles', 'aún no
# disponibles', '未確定', '利用不可' qualify a balance word to say the points are NOT spendable yet:
# a decoy beside the balance. A negator word up to two words before a balance qualifier, a
# negating prefix on it ('unavailable', 'indisponibles', 'недоступные'), or in Japanese 未/不/非
# before it, 不可/不能 in place of its 可能, 無 in place of its 有.
_NEGATOR_WORDS = frozenset(
    {
        *('not', 'non', 'no', 'nicht', 'kein', 'keine', 'keinen', 'pas', 'ni', 'nao', 'niet', 'geen'),
        *('nie', 'ne', 'не', 'нет', 'לא', 'שלא', 'ולא', 'טרם', 'שטרם', 'וטרם', 'אינן', 'אינו', 'אינם'),
    }
)
_NEGATING_PREFIXES = ('non', 'un', 'in', 'on', 'nie', 'ne', 'не')
# Qualifiers a negation turns into a decoy: the balance words, and 'valid' / 'confirmed'.
_NEGATABLE = _compile(
    'valid|confirmed|gultig|bestatigt|valide|confirme|valido|confirmado|confermat|geldig|bevestigd|'
    'platn|potvrzen|действующ|подтвержд|בתוקף|מאושר|確定|承認|有効'
)
# Japanese: 未/不/非 before the qualifier, 不可/不能 in place of its 可能, 無 in place of its 有.
_JA_NEGATED = re.compile(r'[未不非](?=\S)|(\S{2})(?:不可|不能)|無(?=\S)')


def _is_balance_qualifier(text: str) -> bool:
    return bool(_BALANCE.match(text) or _NEGATABLE.match(text))


def negated_balance(header: str) -> str:
    """The negation that makes a (normalized) header's balance word a decoy ('not available'), or ''."""
    words = header.split(' ')
    for i, word in enumerate(words):
        if word in _NEGATOR_WORDS and words[i + 1 : i + 2] != ['of']:  # 'No. of available points'
            after = next((w for w in words[i + 1 : i + 3] if _is_balance_qualifier(w)), None)
            if after:
                return f'{word} {after}'
        if _BALANCE.match(word):
            continue  # a balance word itself: 'unused', 'unredeemed', 'net'
        prefix = next((p for p in _NEGATING_PREFIXES if word.startswith(p)), '')
        rest = word[len(prefix) :]
        # Only a qualifier takes a prefix: 'unavailable', never a noun ('instand' is no 'stand').
        if prefix and len(rest) > 3 and _is_balance_qualifier(rest) and not _BALANCE_NOUN.match(rest):
            return word
    return '' if header.isascii() else _negated_japanese(header)


def _negated_japanese(header: str) -> str:
    for negated in _JA_NEGATED.finditer(header):
        if negated.group(1):  # 利用不可: the negation of 利用可能
            positive = negated.group(1) + '可能'
        elif negated.group(0) == '無':  # 無効: the negation of 有効
            positive = '有' + header[negated.end() :]
        else:
            positive = header[negated.end() :]
        qualifier = _NEGATABLE.match(positive) or _BALANCE.match(positive)
        if qualifier and negated.group(1):
            return negated.group(0)
        if qualifier:
            return negated.group(0) + qualifier.group(0)[negated.group(0) == '無' :]
    return ''


_MONEY = _compile(
    'amount|revenue|kwota|wartosc|cena=|castka|hodnota|сумма|руб|деньги|sales|price|cost|paid|'
    'payment|purchase|order value|order total|aov=|ltv=|clv=|value|worth|currency|money|cash|credit|'
    'cashback|wallet|gift card|giftcard|voucher|usd=|eur=|gbp=|ils=|jpy=|chf=|cad=|aud=|dollar|euro|'
    'umsatz|betrag|wert|preis|kosten|bezahlt|geld|gutschein|montant|chiffre|prix|cout=|paye=|achat|'
    'valeur|argent|avoir=|cagnotte|portefeuille|porte monnaie|monedero|billetera|cartera=|carteira|'
    'portafoglio|portemonnee|geldborse|borsellino|importe|monto|ventas|precio|costo|coste|pagado|compra|valor|dinero|'
    'montante|vendas|preco|custo=|pago=|dinheiro|importo|vendite|prezzo|pagato|acquist|valore|denaro|'
    'bedrag|omzet|prijs|betaald|aankoop|waarde|geld|tegoed|סכום|כסף|מחיר|עלות|שולם|רכישה|ערך|קרדיט|'
    'זיכוי|金額|売上|価格|料金|支払|円'
)
_CURRENCY_SIGNS = frozenset('$€£¥₪₩₹¢')
# Numbers that are something else (identifiers, contact data, dates, counts of other things).
_OTHER_NUMBER = _compile(
    'id=|ids=|kod=|pesel|psc=|телефон|номер|дата|индекс|возраст|заказ|identifier|uuid|guid|no=|nr=|'
    'num=|code|phone|tel=|telephone|mobile|cell=|fax|zip|postal|postcode|plz=|cp=|cap=|age=|year|'
    'month|day|date|birth|dob=|anniversary|order|purchases|visit|rating|review|score|nps=|tier|level|'
    'rank|version|index|row=|line=|gender|store|branch|location|referrals|sessions|clicks|opens|'
    'streak|since|kundennummer|*nummer|mitglied|telefon|handy|alter=|jahr|monat|tag=|geburt|geb=|'
    'bestellung|besuch|stufe|bewertung|postleitzahl|annee|mois|jour|naissance|commande|visite|niveau|'
    'note=|ano=|mes=|dia=|nacimiento|pedido|visitas|nivel|codigo|telefono|celular|nascimento|compras|'
    'anno|mese|giorno|nascita|ordini|livello|cellulare|jaar|maand|dag=|geboorte|bestelling|bezoek|'
    'telefoonnummer|番号|電話|郵便|年齢|生年月日|誕生|注文|来店|回数|件数|ランク|טלפון|נייד|מיקוד|גיל|שנה|חודש|יום|תאריך|לידה|'
    'הזמנות|ביקורים|דרגה|רמה|ת ז='
)
# 'Number of ...' words and other countable things (rewards, vouchers): they disqualify a header
# only when it names no point unit ('Available rewards' is a count; 'Reward points' are points).
_QUANTITY = _compile(
    'reward=|rewards=|voucher|coupon|discount|perk|certificate|ticket|'
    'number|count|qty=|quantity|anzahl|nombre|numero|cantidad|quantidade|quantita|aantal|数|כמות|מספר'
)


class PointsHeader(StrEnum):
    BALANCE = 'BALANCE'  # 'Points balance', 'Available points', 'Punktestand'
    UNIT = 'UNIT'  # 'Points', 'Punkte'
    BALANCE_WORD = 'BALANCE_WORD'  # 'Balance', 'Saldo' (could be money: content decides)
    OTHER_UNIT = 'OTHER_UNIT'  # 'Stamps balance', 'Coins': a balance, not in points
    DECOY = 'DECOY'  # 'Redeemed points', 'Lifetime points', 'Pending'
    MONEY = 'MONEY'  # 'Total spent', 'Store credit', 'Amount (€)'
    OTHER = 'OTHER'  # 'Customer ID', 'Zip', 'Orders'
    NONE = 'NONE'  # says nothing


@lru_cache(maxsize=4096)
def classify_points_header(name: str, points_names: tuple[str, ...] = ()) -> tuple[PointsHeader, str]:
    """The class of a header for the POINTS role and the word that decided it.

    `points_names`: what this deployment's program calls its points ('Stars'), counted as points.
    """
    header = correct_typos(normalize_header(name))
    unit = _UNIT.search(header) or (_names(points_names).search(header) if points_names else None)
    balance = _BALANCE.search(header)
    decoy = _DECOY.search(header) or _ISSUED.search(header)
    if decoy:
        return PointsHeader.DECOY, decoy.group(0)
    negated = negated_balance(header)
    if negated:
        return PointsHeader.DECOY, negated
    if _GENERIC.fullmatch(header):
        return PointsHeader.NONE, ''
    money = _MONEY.search(header)
    if money or any(ch in _CURRENCY_SIGNS for ch in name):
        return PointsHeader.MONEY, money.group(0) if money else 'currency sign'
    other = _OTHER_NUMBER.search(header) or (None if unit else _QUANTITY.search(header))
    if other:
        return PointsHeader.OTHER, other.group(0)
    if unit and balance:
        return PointsHeader.BALANCE, f'{unit.group(0)} + {balance.group(0)}'
    if unit:
        return PointsHeader.UNIT, unit.group(0)
    other_unit = _OTHER_UNIT.search(header)
    if other_unit:
        return PointsHeader.OTHER_UNIT, other_unit.group(0)
    noun = _BALANCE_NOUN.search(header) if balance else None
    if noun:
        return PointsHeader.BALANCE_WORD, noun.group(0)
    return PointsHeader.NONE, ''


@lru_cache(maxsize=16)
def _names(points_names: tuple[str, ...]) -> re.Pattern[str]:
    return _compile('|'.join(points_names))


# A column that says why points moved: the rows are changes (grants, adjustments), maybe not balances.
_ACTIVITY = _compile(
    'reason=|reasons=|action=|activity|event=|transaction|operation|adjustment|motif|grund=|vorgang|'
    'buchungsart|motivo|razon|raison|causale|reden=|aktion|סיבה|פעולה|理由|操作|事由|摘要'
)


@lru_cache(maxsize=4096)
def names_an_activity(name: str) -> bool:
    """Whether a header names why points changed ('Reason', 'Action', 'Transaction type')."""
    return _ACTIVITY.search(correct_typos(normalize_header(name))) is not None


def mentions_a_role(name: str) -> bool:
    """Whether a cell reads like a header word for email or points (header detection)."""
    header = normalize_header(name)
    return bool(_EMAIL.search(header) or _UNIT.search(header) or _BALANCE.search(header))
