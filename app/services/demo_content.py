"""The demo world's data tables, drawn from the case studies in the seed documents.

Scenarios: an aquarium design and maintenance firm (ru, en), an HVAC service company
(pt), a legacy-hardware repair lab (it) and an IT desk serving the Olimp staff (ru)
and a Norwegian customer (nb). Every address uses the reserved ``.example`` domain,
so notifications about demo items can never reach a real mailbox.
"""

from __future__ import annotations

from typing import NamedTuple

from app.models import StatusCategory

NEW, OPEN, WAITING, DONE, CLOSED = (
    StatusCategory.NEW,
    StatusCategory.OPEN,
    StatusCategory.WAITING,
    StatusCategory.DONE,
    StatusCategory.CLOSED,
)


class TypeSpec(NamedTuple):
    """An item type and its own workflow: (status, category, color) in order."""

    kind: str
    name: str
    icon: str
    color: str
    workflow: tuple[tuple[str, StatusCategory, str], ...]
    required: tuple[str, ...] = ()


class StaffSpec(NamedTuple):
    """A demo account: username, names, role, language, time zone and teams."""

    username: str
    first_name: str
    last_name: str
    role: str
    language: str | None
    timezone: str
    teams: tuple[str, ...] = ()


class OrgSpec(NamedTuple):
    """An organization of one scenario, its domain, language and people."""

    name: str
    scenario: str
    domain: str
    language: str
    notes: str
    customers: tuple[tuple[str, str], ...]


class ProjectSpec(NamedTuple):
    """A project in a portfolio path; dates are days from today."""

    path: tuple[str, ...]
    name: str
    scenario: str
    organization: str | None
    start: int
    end: int
    archived: bool = False


class ItemTemplate(NamedTuple):
    """A ticket or task as someone in a scenario would write it."""

    scenario: str
    language: str
    type_name: str
    title: str
    description: str
    resolution: str = ""


ITEM_TYPES = (
    TypeSpec(
        "ticket",
        "Question",
        "fa-question-circle",
        "#1f6f8b",
        (
            ("New", NEW, "#5b8def"),
            ("Answering", OPEN, "#1f6f8b"),
            ("Waiting for customer", WAITING, "#f0a500"),
            ("Answered", DONE, "#3c763d"),
            ("Closed", CLOSED, "#777777"),
        ),
    ),
    TypeSpec(
        "ticket",
        "Problem",
        "fa-exclamation-triangle",
        "#c0392b",
        (
            ("New", NEW, "#5b8def"),
            ("Diagnosis", OPEN, "#1f6f8b"),
            ("Waiting for parts", WAITING, "#f0a500"),
            ("Repaired", DONE, "#3c763d"),
            ("Closed", CLOSED, "#777777"),
        ),
        ("description",),
    ),
    TypeSpec(
        "ticket",
        "Wish",
        "fa-lightbulb-o",
        "#8e44ad",
        (
            ("Proposed", NEW, "#5b8def"),
            ("Under review", OPEN, "#1f6f8b"),
            ("Planned", WAITING, "#f0a500"),
            ("Implemented", DONE, "#3c763d"),
            ("Declined", CLOSED, "#777777"),
        ),
    ),
    TypeSpec(
        "ticket",
        "Remark",
        "fa-comment",
        "#16a085",
        (
            ("New", NEW, "#5b8def"),
            ("Acknowledged", OPEN, "#1f6f8b"),
            ("Fixed", DONE, "#3c763d"),
            ("Closed", CLOSED, "#777777"),
        ),
    ),
    TypeSpec(
        "task",
        "Task",
        "fa-check-square-o",
        "#2c3e50",
        (
            ("To do", NEW, "#5b8def"),
            ("In progress", OPEN, "#1f6f8b"),
            ("Blocked", WAITING, "#f0a500"),
            ("Done", DONE, "#3c763d"),
        ),
    ),
    TypeSpec(
        "task",
        "Bug",
        "fa-bug",
        "#d35400",
        (
            ("Reported", NEW, "#5b8def"),
            ("Confirmed", OPEN, "#9b59b6"),
            ("Fixing", OPEN, "#1f6f8b"),
            ("Waiting for verification", WAITING, "#f0a500"),
            ("Fixed", DONE, "#3c763d"),
            ("Closed", CLOSED, "#777777"),
        ),
        ("description",),
    ),
    TypeSpec(
        "task",
        "Feature",
        "fa-star",
        "#27ae60",
        (
            ("Idea", NEW, "#5b8def"),
            ("Specified", OPEN, "#9b59b6"),
            ("In development", OPEN, "#1f6f8b"),
            ("In review", WAITING, "#f0a500"),
            ("Released", DONE, "#3c763d"),
        ),
    ),
)

TEAMS = (
    ("Aquarium service", "Installations and maintenance of aquariums and ponds."),
    ("HVAC field team", "Service calls and maintenance of heating and cooling."),
    ("Repair lab", "Bench repair of legacy PLC, drive and CNC boards."),
    ("IT desk", "IT help for colleagues (Olimp) and managed customers."),
)
#: The team that works each scenario's items.
SCENARIO_TEAMS = {
    "aquarium": "Aquarium service",
    "hvac": "HVAC field team",
    "repair": "Repair lab",
    "it": "IT desk",
}

STAFF = (
    StaffSpec("manager", "Maria", "Lindqvist", "Manager", None, "Europe/Oslo"),
    StaffSpec(
        "agent", "Alex", "Morgan", "Agent", None, "America/Toronto",
        ("IT desk", "Aquarium service"),
    ),
    StaffSpec(
        "olga", "Ольга", "Смирнова", "Agent", "ru", "Europe/Moscow",
        ("Aquarium service",),
    ),
    StaffSpec(
        "sergei", "Сергей", "Волков", "Agent", "ru", "Europe/Moscow", ("IT desk",)
    ),
    StaffSpec(
        "joao", "João", "Ferreira", "Agent", "pt", "Europe/Lisbon",
        ("HVAC field team",),
    ),
    StaffSpec(
        "ines", "Inês", "Costa", "Agent", "pt", "Europe/Lisbon", ("HVAC field team",)
    ),
    StaffSpec("marco", "Marco", "Bianchi", "Agent", "it", "Europe/Rome", ("Repair lab",)),
    StaffSpec(
        "giulia", "Giulia", "Romano", "Agent", "it", "Europe/Rome", ("Repair lab",)
    ),
    StaffSpec("ingrid", "Ingrid", "Hansen", "Agent", "nb", "Europe/Oslo", ("IT desk",)),
)  # fmt: skip
#: The portal account: username, names, and the customer address it signs in as.
CUSTOMER_ACCOUNT = (
    "customer",
    "Emily",
    "Carter",
    "emily.carter@maple-aquatics.example",
)

ORGANIZATIONS = (
    OrgSpec(
        "Hotel Baltika", "aquarium", "baltika-hotel.example", "ru",
        "Lobby aquarium 800 l, monthly maintenance contract.",
        (("Анна Петрова", "anna.petrova"), ("Игорь Соколов", "igor.sokolov"),
         ("Елена Кузнецова", "elena.kuznetsova")),
    ),
    OrgSpec(
        "Restaurant Akvarel", "aquarium", "akvarel.example", "ru",
        "Reef tank in the dining room.",
        (("Дмитрий Орлов", "d.orlov"), ("Мария Лебедева", "m.lebedeva")),
    ),
    OrgSpec(
        "Maple Aquatics Ltd", "aquarium", "maple-aquatics.example", "en",
        "Pet supply chain, 14 branches in Canada and the US; branch staff write in.",
        (("Emily Carter", "emily.carter"), ("Liam Tremblay", "liam.tremblay"),
         ("Olivia Roy", "olivia.roy")),
    ),
    OrgSpec(
        "Great Lakes Pet Supply", "aquarium", "greatlakes-pets.example", "en",
        "Pond and aquarium retailer (US).",
        (("Noah Miller", "noah.miller"), ("Ava Johnson", "ava.johnson")),
    ),
    OrgSpec(
        "Condomínio Edifício Atlântico", "hvac", "edificio-atlantico.example", "pt",
        "Residential tower, annual HVAC maintenance.",
        (("Ana Sousa", "ana.sousa"), ("Rui Martins", "rui.martins")),
    ),
    OrgSpec(
        "Hospital São Vicente", "hvac", "hsvicente.example", "pt",
        "Chillers and air handling units; urgent calls 24/7.",
        (("Carla Almeida", "carla.almeida"), ("Pedro Santos", "pedro.santos"),
         ("Marta Lopes", "marta.lopes")),
    ),
    OrgSpec(
        "Construtora Tejo", "hvac", "construtora-tejo.example", "pt",
        "Developer: HVAC for new buildings.",
        (("Tiago Pereira", "tiago.pereira"), ("Sofia Rodrigues", "sofia.rodrigues")),
    ),
    OrgSpec(
        "Acciaierie Lombarde", "repair", "acciaierie-lombarde.example", "it",
        "Steel mill; Siemens S5 PLCs and DC drives still in service.",
        (("Luca Colombo", "luca.colombo"), ("Francesca Ricci", "francesca.ricci"),
         ("Paolo Galli", "paolo.galli")),
    ),
    OrgSpec(
        "Cartiera del Brenta", "repair", "cartiera-brenta.example", "it",
        "Paper mill; legacy drives and operator panels.",
        (("Giorgio Conti", "giorgio.conti"), ("Elena Moretti", "elena.moretti")),
    ),
    OrgSpec(
        "Fonderia Rossi", "repair", "fonderia-rossi.example", "it",
        "Foundry; 1990s CNC machines.",
        (("Matteo Rossi", "matteo.rossi"), ("Chiara Ferrari", "chiara.ferrari")),
    ),
    OrgSpec(
        "Olimp", "it", "olimp.example", "ru",
        "Internal organization: our own colleagues (IT desk for employees).",
        (("Наталья Иванова", "n.ivanova"), ("Павел Морозов", "p.morozov"),
         ("Светлана Попова", "s.popova"), ("Алексей Новиков", "a.novikov")),
    ),
    OrgSpec(
        "Nordlys Eiendom AS", "it", "nordlys-eiendom.example", "nb",
        "Managed IT for a property company in Oslo.",
        (("Kari Nordmann", "kari.nordmann"), ("Ola Berg", "ola.berg"),
         ("Ingrid Lie", "ingrid.lie")),
    ),
)  # fmt: skip

PROJECTS = (
    ProjectSpec(("Aquarium service", "Installations"), "Hotel Baltika: lobby aquarium 800 l", "aquarium", "Hotel Baltika", -60, 30),
    ProjectSpec(("Aquarium service", "Installations"), "Maple Aquatics: showroom reef tank", "aquarium", "Maple Aquatics Ltd", -20, 70),
    ProjectSpec(("Aquarium service", "Maintenance contracts"), "Filter maintenance {last_year}", "aquarium", None, -540, -180, True),
    ProjectSpec(("Aquarium service", "Maintenance contracts"), "Filter maintenance {year}", "aquarium", None, -150, 210),
    ProjectSpec(("HVAC", "Service calls"), "Service calls {year}", "hvac", None, -150, 210),
    ProjectSpec(("HVAC", "Maintenance projects"), "Edifício Atlântico: manutenção anual", "hvac", "Condomínio Edifício Atlântico", -90, 270),
    ProjectSpec(("HVAC", "Maintenance projects"), "Hospital São Vicente: substituição do chiller", "hvac", "Hospital São Vicente", -30, 60),
    ProjectSpec(("Legacy hardware repair", "Industrial clients"), "Acciaierie Lombarde: retrofit PLC S5", "repair", "Acciaierie Lombarde", -120, 45),
    ProjectSpec(("Legacy hardware repair", "Industrial clients"), "Cartiera del Brenta: riparazione azionamenti", "repair", "Cartiera del Brenta", -45, 40),
    ProjectSpec(("Legacy hardware repair", "Lab"), "Bench testing and spare parts", "repair", None, -200, 160),
    ProjectSpec(("Internal IT", "{year}"), "IT desk {year}", "it", None, -150, 210),
    ProjectSpec(("Internal IT",), "Olimp HELP DESK web interface", "it", "Olimp", -100, 80),
    ProjectSpec(("Internal IT",), "Nordlys: office move Oslo", "it", "Nordlys Eiendom AS", -10, 50),
)  # fmt: skip

#: Said on a resolved item whose template has no resolution of its own.
RESOLUTIONS = {
    "ru": "Решение описано и отправлено заявителю по электронной почте.",
    "en": "Resolved; the solution was sent to the requester by e-mail.",
    "it": "Risolto; la soluzione è stata inviata al richiedente via e-mail.",
    "pt": "Resolvido; a solução foi enviada ao requerente por e-mail.",
    "nb": "Løst; løsningen ble sendt til innmelderen på e-post.",
}

#: An agent's first answer on a ticket that is still being worked on.
FIRST_REPLIES = {
    "ru": "Спасибо за обращение! Мы разбираемся и скоро вернёмся с ответом.",
    "en": "Thank you for writing to us. We are looking into it and will be back soon.",
    "it": "Grazie per la segnalazione. Stiamo verificando e vi aggiorneremo a breve.",
    "pt": "Obrigado pelo contacto. Estamos a analisar e voltaremos em breve.",
    "nb": "Takk for henvendelsen. Vi ser på saken og kommer tilbake snart.",
}

ITEM_TEMPLATES = (
    # The aquarium firm: installations, filter maintenance, branch IT complaints.
    ItemTemplate("aquarium", "ru", "Problem", "Помутнела вода в аквариуме в лобби", "Вода в аквариуме на 800 литров помутнела за два дня, рыбы держатся у поверхности. Просим прислать специалиста.", "Заменили фильтрующий материал, подменили 30% воды и проверили параметры. Вода прозрачная."),
    ItemTemplate("aquarium", "ru", "Problem", "Внешний фильтр гудит, но не качает воду", "Фильтр в зале ресторана шумит, поток почти нулевой. Возможно, забит ротор.", "Очистили ротор и шланги, заменили уплотнительное кольцо."),
    ItemTemplate("aquarium", "ru", "Question", "Как часто менять фильтрующий материал?", "Подскажите, пожалуйста, график замены губок и керамики для нашего морского аквариума.", "Губки промываем раз в две недели, керамику меняем частично раз в полгода; график отправлен по почте."),
    ItemTemplate("aquarium", "ru", "Task", "Установка морского аквариума 800 л", "Монтаж тумбы, аквариума, сампа и освещения; запуск системы и первичное заселение."),
    ItemTemplate("aquarium", "ru", "Task", "Плановое обслуживание фильтров", "Ежемесячная чистка фильтров, подмена воды, проверка температуры и освещения."),
    ItemTemplate("aquarium", "ru", "Wish", "Напоминание о замене ламп освещения", "Хотим получать уведомление за неделю до плановой замены ламп в аквариуме."),
    ItemTemplate("aquarium", "ru", "Problem", "Не открывается сайт магазина в филиале", "В филиале сотрудники не могут зайти на сайт и в систему заказов. Остальные сайты открываются.", "Сбросили DNS-кэш на роутере филиала, доступ восстановлен."),
    ItemTemplate("aquarium", "ru", "Remark", "Следы на полу после обслуживания", "Просим в следующий раз использовать защитное покрытие для пола в лобби."),
    ItemTemplate("aquarium", "en", "Problem", "Pond pump stopped overnight", "The koi pond pump at our showroom stopped overnight; the breaker is fine. The fish are OK for now but we need someone today.", "Replaced the pump impeller and cleaned the pre-filter."),
    ItemTemplate("aquarium", "en", "Question", "Quote for a 300-gallon reef tank installation", "A client wants a built-in reef tank for their office lobby. Can you send a quote and a schedule?", "Quote and a two-week installation schedule sent."),
    ItemTemplate("aquarium", "en", "Task", "Install the 300-gallon reef tank in the showroom", "Deliver and level the stand, install the tank, sump and lighting, then cycle the system."),
    ItemTemplate("aquarium", "en", "Task", "Monthly filter maintenance", "Clean the mechanical filters, test the water parameters and top up salt."),
    ItemTemplate("aquarium", "en", "Problem", "Order website down at a branch", "Staff at the branch cannot log in to the order website; other sites work.", "The branch router had a stale DNS entry; flushed it and access is back."),
    ItemTemplate("aquarium", "en", "Wish", "Let branches see their own tickets in the portal", "Our store managers would like to follow every ticket raised by their branch."),
    # The HVAC service company: service calls and maintenance projects.
    ItemTemplate("hvac", "pt", "Problem", "Ar condicionado não arrefece no 3.º andar", "Desde ontem a unidade de climatização do 3.º andar só sopra ar quente. Os escritórios estão a 29 °C.", "Carga de gás refrigerante reposta e fuga no compressor reparada."),
    ItemTemplate("hvac", "pt", "Problem", "Caldeira com fuga de água", "A caldeira da cave está a pingar junto à válvula de segurança. Pedimos visita técnica urgente.", "Substituída a válvula de segurança e testada a pressão do circuito."),
    ItemTemplate("hvac", "pt", "Question", "Pedido de orçamento para sistema VRF", "Estamos a planear a renovação do piso 2 e gostaríamos de um orçamento para um sistema VRF com 12 unidades interiores."),
    ItemTemplate("hvac", "pt", "Task", "Manutenção preventiva do chiller", "Verificar pressões, limpar condensadores, inspecionar o compressor e registar as leituras no relatório."),
    ItemTemplate("hvac", "pt", "Task", "Substituição dos filtros das UTA", "Trocar os filtros F7 das unidades de tratamento de ar dos pisos 1 a 4."),
    ItemTemplate("hvac", "pt", "Remark", "Técnico chegou fora do horário combinado", "A visita estava marcada para as 9h e o técnico chegou às 11h30 sem aviso."),
    ItemTemplate("hvac", "pt", "Wish", "Receber o relatório de manutenção em PDF", "Gostaríamos de receber automaticamente por e-mail o relatório de cada visita em PDF."),
    ItemTemplate("hvac", "pt", "Problem", "Termóstato da sala de reuniões não responde", "O ecrã do termóstato está apagado e a temperatura não muda.", "Termóstato substituído e reprogramado."),
    # The legacy-hardware repair firm: PLC boards, drives, CNC spares.
    ItemTemplate("repair", "it", "Problem", "La scheda PLC S5 non si avvia", "Dopo un calo di tensione la CPU S5-115U resta in STOP con il LED rosso acceso. La linea 3 è ferma.", "Sostituiti i condensatori dell'alimentatore e ripristinato il programma dalla EPROM di backup."),
    ItemTemplate("repair", "it", "Problem", "Azionamento del laminatoio in errore F004", "L'azionamento in corrente continua segnala F004 all'avvio. Allego foto del display.", "Scheda di regolazione riparata e tarata al banco."),
    ItemTemplate("repair", "it", "Task", "Riparazione scheda I/O S5", "Diagnosi al banco, sostituzione degli optoisolatori guasti, collaudo di 24 ore."),
    ItemTemplate("repair", "it", "Bug", "Il pannello operatore si blocca sulla pagina allarmi", "Il pannello si blocca quando si apre la pagina allarmi con più di 200 voci."),
    ItemTemplate("repair", "it", "Question", "Disponibilità ricambi per CNC anni '90", "Avete ancora ricambi per il controllo numerico della fresatrice? Ci serve un modulo assi.", "Modulo assi disponibile a magazzino, spedito con corriere."),
    ItemTemplate("repair", "it", "Task", "Collaudo al banco e registrazione ore", "Collaudare le schede riparate e registrare le ore nel foglio presenze del progetto."),
    ItemTemplate("repair", "it", "Remark", "Preventivo senza dettaglio delle ore", "Nel preventivo manca il dettaglio delle ore di manodopera per ogni scheda."),
    ItemTemplate("repair", "it", "Feature", "Storico riparazioni per numero di serie", "Poter cercare tutte le riparazioni passate di una scheda partendo dal numero di serie."),
    # The IT desk: Olimp colleagues (wishes, questions, remarks) and a Norwegian client.
    ItemTemplate("it", "ru", "Problem", "Не печатает принтер в бухгалтерии", "Принтер в бухгалтерии ставит документы в очередь, но ничего не печатает. Перезагрузка не помогла.", "Переустановили драйвер и очистили очередь печати на сервере."),
    ItemTemplate("it", "ru", "Question", "Как выгрузить отчёт в Excel?", "В модуле «Склад» не нашла кнопку выгрузки отчёта по остаткам в Excel.", "Выгрузка доступна в меню «Отчёты» → «Экспорт»; инструкция добавлена в базу знаний."),
    ItemTemplate("it", "ru", "Wish", "Фильтр по дате в журнале документов", "Хотелось бы фильтровать журнал документов по периоду, а не листать всё подряд."),
    ItemTemplate("it", "ru", "Remark", "Опечатка в форме заявки", "В поле «Ответственный» написано «Ответсвенный».", "Опечатка исправлена в новой версии."),
    ItemTemplate("it", "ru", "Feature", "Оценка решения в веб-интерфейсе", "Клиент должен иметь возможность оценить выполненную заявку."),
    ItemTemplate("it", "ru", "Bug", "Не прикрепляются файлы больше 10 МБ", "При загрузке скриншотов больше 10 МБ форма зависает без сообщения об ошибке."),
    ItemTemplate("it", "ru", "Task", "Обновить Олимп на рабочих местах отдела продаж", "Установить новую версию клиента на 12 компьютеров и проверить вход."),
    ItemTemplate("it", "ru", "Wish", "Письмо при изменении статуса заявки", "Хочу получать письмо, когда исполнитель меняет статус моего обращения."),
    ItemTemplate("it", "nb", "Problem", "Skriveren på kontoret skriver ikke ut", "Skriveren i 2. etasje tar imot jobber, men ingenting kommer ut. Vi har prøvd å starte den på nytt.", "Skriverdriveren er installert på nytt og utskriftskøen tømt."),
    ItemTemplate("it", "nb", "Question", "Hvordan setter jeg opp e-post på mobilen?", "Jeg har fått ny telefon og trenger hjelp til å sette opp jobb-e-posten.", "Veiledning sendt på e-post og lagt i kunnskapsbasen."),
    ItemTemplate("it", "nb", "Wish", "Mørk modus i kundeportalen", "Det hadde vært fint med mørk modus i kundeportalen."),
    ItemTemplate("it", "nb", "Task", "Sette opp ny bærbar PC for nyansatt", "Installere standardprogrammer, koble til domenet og overføre filer."),
    ItemTemplate("it", "nb", "Problem", "VPN kobler fra hvert tiende minutt", "Når jeg jobber hjemmefra, mister jeg VPN-forbindelsen hele tiden."),
    ItemTemplate("it", "nb", "Remark", "Feil telefonnummer på supportsiden", "Nummeret på intranettets supportside er utdatert."),
)  # fmt: skip
