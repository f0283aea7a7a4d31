"""Build tests/screening/eval_set.csv (the labelled evaluation set of the matcher). Deterministic.

    .venv/bin/python tests/screening/eval_set_build.py [--lists ../shared/data/lists]

How the set is made (also in docs/matching.md):

* ``hand`` rows: queries written by hand about the vendors this product is for (Hikvision, Dahua, Huawei, ZTE,
  Hytera, CCCC/ZPMC, DJI, Kaspersky, the Chinese carriers, SMIC, YMTC, Nuctech...), each with the exact list
  name it must find, in the spellings seen on invoices and asset registers (trade names, abbreviations, dotted
  acronyms, missing/other legal forms, glued addresses, Cyrillic and other romanisations, subsidiaries).
* ``sampled`` rows: entity names drawn with a fixed seed from every real list file, each turned into ONE
  variant by a rule (typo, word order, legal form dropped or swapped, case and punctuation, glued address,
  abbreviation, accents). The expected answer is the sampled name itself.
* ``negative`` rows: legitimate companies written by hand (industrial, IT, security, shipping vendors), the
  look-alikes named in the issue (Aztec, Francisco Partners, Hikma, Cisco, Boztepe...), and ``swapped``
  negatives: a sampled list name whose distinctive word is replaced by a word that occurs in no list name
  ("Zhejiang Dahua Technology" -> "Zhejiang Orvane Technology"): same generic words, different company.

* ``GAP_ROWS``: positives and negatives per class of the scoring gaps of issue #17 item 5 (bracketed acronyms,
  leading initials, plural and short typos, honorifics/digits/glued names, company vs group, people below the
  strict threshold). Every row has a ``class`` (the category for the rows above); screening_eval reports recall
  and precision per class.

The labels were NOT produced by the matcher. Where the matcher disagreed with a hand label, the row was
checked by reading the list entry; those cases are listed in docs/matching.md.
"""
from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from apps.screening.matching_sources import DEFAULT_LISTS_DIR, load_list_records  # noqa: E402
from apps.vendors.name_text import GENERIC_TOKENS, GEO_TOKENS, name_variants  # noqa: E402

OUT = Path(__file__).with_name("eval_set.csv")
SEED = 20261125

# (query, country, expected list name or "" for no match, note)
HAND_POSITIVES = [
    ("Hikvision", "CN", "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.", "trade name (alias on NS-CMIC)"),
    ("HIKVISION DIGITAL TECHNOLOGY", "", "Hangzhou Hikvision Digital Technology Co., Ltd.", "city dropped"),
    ("Hangzhou Hikvision Digital Tech. Co.,Ltd", "CN", "Hangzhou Hikvision Digital Technology Co., Ltd.", "invoice"),
    ("HANGZHOU HIKVISION DIGITAL TECHNOLOGY COMPANY LIMITED", "", "Hangzhou Hikvision Digital Technology Co., Ltd.",
     "legal form spelled out"),
    ("Hangzhou Hikvison Digital Technology Co Ltd", "CN", "Hangzhou Hikvision Digital Technology Co., Ltd.", "typo"),
    ("Hikvision Digital Technology Co., Ltd., Hangzhou, Zhejiang", "",
     "Hangzhou Hikvision Digital Technology Co., Ltd.", "glued address"),
    ("Zhejiang Dahua Technology Co., Ltd.", "CN", "Zhejiang Dahua Technology Co., Ltd. (Dahua)", "exact"),
    ("Dahua Technology Co Ltd", "", "Dahua Technology", "legal form added"),
    ("DAHUA TECHNOLOGY CO.,LTD.", "CN", "Dahua Technology", "invoice"),
    ("Dahua", "", "Dahua Technology", "trade name"),
    ("Dahua Electronics Corp.", "US", "DAHUA ELECTRONICS CORPORATION", "the DPL entry itself"),
    ("Huawei Technologies Co., Ltd.", "CN", "HUAWEI TECHNOLOGIES CO., LTD.", "exact"),
    ("HUAWEI TECHNOLOGIES CO LTD", "", "HUAWEI TECHNOLOGIES CO., LTD.", "punctuation"),
    ("Huawei Tech Co", "", "HUAWEI TECHNOLOGIES CO., LTD.", "abbreviation"),
    ("Huawei", "", "HUAWEI TECHNOLOGIES CO., LTD.", "trade name"),
    ("Huawei Technologies Company", "", "Huawei Technologies Company", "NDAA 889 spelling"),
    ("Huawei Investment and Holding Co Ltd", "", "HUAWEI INVESTMENT & HOLDING CO., LTD.", "& -> and"),
    ("Huawei Technologies Service Co Ltd", "CN", "Huawei Technologies Service Co., Ltd., Langfang, Hebei, ",
     "list name has a glued address"),
    ("Huawei Marine Networks", "", "Huawei Technologies Co., Ltd. (Huawei).  Affiliated Entity:  Huawei Marine "
     "Networks Co., Ltd.", "legal form dropped; the CSL row names the affiliate after its parent"),
    ("HiSilicon Technologies", "CN", "HiSilicon Technologies Co., Ltd (HiSilicon), Bantian Longgang District",
     "list name glued district"),
    ("ZTE Corporation", "CN", "ZTE Corporation", "exact"),
    ("ZTE Corp.", "", "ZTE Corporation", "abbreviated legal form"),
    ("Z.T.E. Corporation", "", "ZTE Corporation", "dotted acronym"),
    ("ZTE", "", "ZTE Corporation", "acronym alone"),
    ("Hytera Communications Corp. Ltd.", "CN", "Hytera Communications Corporation", "legal forms"),
    ("Hytera", "", "Hytera Communications Limited", "trade name"),
    ("Hytera Communication Co., Limited", "", "Hytera Communications Limited", "singular"),
    ("China Communications Construction Co., Ltd.", "CN", "CHINA COMMUNICATIONS CONSTRUCTION COMPANY LIMITED",
     "abbreviated legal form"),
    ("CCCC", "", "CHINA COMMUNICATIONS CONSTRUCTION COMPANY LIMITED", "acronym (alias in CSL/1260H)"),
    ("China Communications Construction Group", "", "CHINA COMMUNICATIONS CONSTRUCTION GROUP (LIMITED)", "CCCG"),
    ("ZPMC North America Inc", "US", "ZPMC North America, Inc.", "punctuation"),
    ("ZPMC North America", "", "ZPMC North America, Inc.", "legal form dropped"),
    ("Shanghai Zhenhua Shipping Company Limited", "CN", "Shanghai Zhenhua Shipping Co. Ltd.", "legal form"),
    ("SZ DJI Technology Co., Ltd.", "CN", "SZ DJI TECHNOLOGY CO., LTD.", "exact"),
    ("DJI", "", "DJI", "acronym"),
    ("D.J.I.", "", "DJI", "dotted acronym"),
    ("Kaspersky Lab", "RU", "AO Kaspersky Lab", "legal form dropped"),
    ("Kaspersky Lab Inc", "US", "Kaspersky Lab, Inc.", "punctuation"),
    ("JSC Kaspersky Lab", "RU", "AO Kaspersky Lab", "AO written JSC"),
    ("China Mobile Ltd", "", "CHINA MOBILE LIMITED", "abbreviated legal form"),
    ("China Mobile International USA Inc.", "US", "China Mobile International USA Inc.", "exact"),
    ("China Telecom Corp Ltd", "", "CHINA TELECOM CORPORATION LIMITED", "abbreviations"),
    ("China Telecom (Americas) Corporation", "US", "China Telecom (Americas) Corp.", "legal form"),
    ("China Unicom Hong Kong Ltd", "HK", "CHINA UNICOM (HONG KONG) LIMITED", "parentheses dropped"),
    ("China Unicom Americas Operations Ltd", "US", "China Unicom (Americas) Operations Limited", "parentheses"),
    ("Semiconductor Manufacturing International Corp", "CN",
     "SEMICONDUCTOR MANUFACTURING INTERNATIONAL CORPORATION", "abbreviation"),
    ("Semiconductor Manufacturing Intl Corp.", "", "SEMICONDUCTOR MANUFACTURING INTERNATIONAL CORPORATION", "intl"),
    ("Yangtze Memory Technologies Co Ltd", "CN", "Yangtze Memory Technologies Co., Ltd. (YMTC)", "punctuation"),
    ("YMTC", "", "Yangtze Memory Technologies Co., Ltd. (YMTC)", "acronym"),
    ("ChangXin Memory Technologies Inc", "CN", "ChangXin Memory Technologies, Inc. (CXMT)", "punctuation"),
    ("Tongfang Nuctech Technology Co., Ltd.", "CN", "Tongfang NucTech Technology Ltd.", "legal form"),
    ("Nuctech", "", "Tongfang NucTech Technology Ltd.", "trade name (alias)"),
    ("iFlytek Co., Ltd.", "CN", "IFLYTEK", "legal form added"),
    ("Megvii Technology Ltd", "CN", "MEGVII TECHNOLOGY LIMITED", "abbreviation"),
    ("Beijing Megvii Technology Company Limited", "CN", "Beijing Megvii Technology Co., Ltd. (Megvii)", "spelled out"),
    ("SenseTime Group Ltd.", "HK", "SENSETIME GROUP LIMITED", "abbreviation"),
    ("Sense Time Group", "", "SENSETIME GROUP LIMITED", "split word"),
    ("Inspur Group", "CN", "INSPUR GROUP CO., LTD.", "legal form dropped"),
    ("CRRC Corp Ltd", "CN", "CRRC Corporation Limited (CRRC)", "abbreviations"),
    ("China COSCO Shipping Corp.", "CN", "China COSCO SHIPPING Corporation Limited (COSCO SHIPPING)", "abbrev."),
    ("Contemporary Amperex Technology Co Limited", "CN", "Contemporary Amperex Technology Co., Ltd. (CATL)", "form"),
    ("CATL", "", "Contemporary Amperex Technology Co., Ltd. (CATL)", "acronym"),
    ("Dawning Information Industry Co Ltd", "CN", "DAWNING INFORMATION INDUSTRY CO., LTD", "punctuation"),
    ("Sugon", "CN", "Sugon", "trade name"),
    ("TP-Link Technologies Co Ltd", "CN", "TP-Link Technologies Co., Ltd. (TP-Link)", "punctuation"),
    ("Quectel Wireless Solutions Company Limited", "CN", "Quectel Wireless Solutions Co., Ltd.", "spelled out"),
    ("FiberHome Technologies Group", "CN", "FiberHome Technologies Group", "exact"),
    ("Fiber Home Technologies", "", "FiberHome Technologies Group", "split word"),
    ("China North Industries Group Corp Ltd", "CN", "CHINA NORTH INDUSTRIES GROUP CORPORATION LIMITED", "abbrev."),
    ("Norinco", "", "China North Industries Group Corporation Limited (Norinco Group)", "trade name"),
    ("Rostec", "RU", "ROSTEC", "trade name"),
    ("Russian Technologies State Corporation", "RU", "Rostec (Russian Technologies State Corporation)", "English"),
    ("Almaz-Antey Concern JSC", "RU", "JOINT-STOCK COMPANY CONCERN ALMAZ-ANTEY", "word order"),
    ("Almaz Antei", "RU", "JSC Concern VKO “Almaz-Antey”", "other romanisation"),
    ("Kalashnikov Concern", "RU", "JSC Kalashnikov", "word order, alias"),
    ("Концерн Калашников", "RU", "JSC Kalashnikov", "Cyrillic"),
    ("АО «Адмиралтейские Верфи»", "RU", "Admiralty Shipyard JSC", "Cyrillic short name"),
    ("Admiralteyskie Verfi", "RU", "Admiralty Shipyard JSC", "other romanisation"),
    ("ООО Аргут", "RU", "Argut OOO", "Cyrillic"),
    ("Sberbank of Russia PJSC", "RU", "PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA", "legal form moved"),
    ("Aeroflot", "RU", "PJSC AEROFLOT", "legal form dropped"),
    ("Rosneft Oil Company", "RU", "OPEN JOINT-STOCK COMPANY ROSNEFT OIL COMPANY", "legal form dropped"),
    ("Rosneft Trading SA", "CH", "ROSNEFT TRADING S.A.", "punctuation"),
    ("Société Rosneft Trading S.A.", "", "ROSNEFT TRADING S.A.", "accents, French legal form"),
    ("Gazprom Neft PJSC", "RU", "GAZPROM NEFT", "legal form"),
    ("Almaz Central Marine Design Bureau", "RU", "ALMAZ CENTRAL MARINE DESIGN BUREAU JOINT STOCK COMPANY", "form"),
    ("Irkut Corp.", "RU", "Irkut Corporation", "abbreviation"),
    ("Zhuzhou CRRC Special Equipment Technology Company", "CN",
     "Zhuzhou CRRC Special Equipment Technology Co.", "legal form"),
]

HAND_NEGATIVES = [
    # look-alikes named in the issue: substrings, prefixes, shared words
    ("Aztec Manufacturing Co.", "US", "substring: ZTE"), ("Aztec Group", "GB", "substring: ZTE"),
    ("Boztepe Insaat", "TR", "substring: ZTE / individual BOZTEPE"), ("Francisco Partners Management, L.P.", "US",
                                                                     "substring: Cisco"),
    ("Hikma Pharmaceuticals PLC", "GB", "prefix of Hikvision / Hikmat"), ("Hikmat Consulting LLC", "US",
                                                                           "person-name word"),
    ("Cisco Systems, Inc.", "US", "vs Cosco / Francisco"), ("Dahuang Foods Co.", "CN", "one letter more than Dahua"),
    ("Zenith Electronics LLC", "US", "shares Electronics"), ("Zetec Inc.", "US", "near ZTE"),
    ("ZT Systems", "US", "near ZTE"), ("DJO Global", "US", "near DJI"), ("CCC Intelligent Solutions", "US",
                                                                         "near CCCC"),
    ("ZPM Consulting", "US", "near ZPMC"), ("Corporation Service Company", "US", "only legal forms / generic"),
    ("Global Technology Services Ltd", "GB", "only generic words"), ("International Trading Company", "US",
                                                                       "only generic words"),
    ("Digital Technology Solutions Co., Ltd.", "CN", "only generic words"), ("Shenzhen Electronics Co., Ltd.", "CN",
                                                                   "only place + generic"),
    ("Samsung Electronics Co., Ltd.", "KR", "fuzzy near Samsun"), ("Canon Inc.", "JP", "fuzzy near Cason"),
    ("Hilti AG", "LI", "fuzzy near Halti"), ("Pelco, Inc.", "US", "fuzzy near Pedco"),
    ("Cognex Corporation", "US", "fuzzy near Conex"), ("Garmin Ltd.", "CH", "fuzzy near Garbin"),
    ("Omron Corporation", "JP", "fuzzy near Omran"), ("Micron Technology, Inc.", "US", "fuzzy near Mikron"),
    ("Intel Corporation", "US", "prefix of Intelligence"), ("Trend Micro Incorporated", "JP", "shares Trend"),
    ("Phoenix Contact GmbH", "DE", "shares Phoenix"), ("Lockheed Martin Corporation", "US", "person Martin"),
    ("Leonardo S.p.A.", "IT", "person Leonardo"), ("SAP SE", "DE", "legal form SE"),
    ("Atlas Copco AB", "SE", "shares Atlas"), ("Accenture plc", "IE", "shares Accenture (building materials)"),
    ("Caterpillar Inc.", "US", "shares Caterpillar (plant name)"),
    ("Huawen Food Co.", "CN", "near Huawei"), ("Dahlia Technologies", "US", "near Dahua"),
    ("Hyster-Yale Materials Handling", "US", "near Hytera"), ("Kasper Systems", "US", "prefix of Kaspersky"),
]

# Rows per class of the scoring gaps of issue #17 item 5 (query, country, expected list name or "" for no match,
# class, note). A positive is labelled "hand", a negative "negative_lookalike"; the class says what it tests.
GAP_ROWS = [
    ('Advanced Micro Devices, Inc. (AMD)', 'US', '',
     'paren_acronym', "SDN alias 'AMD CO. LTD AGENCY'; list 'ARAN MODERN DEVICES (AMD)'"),
    ('Standard Engineering Solutions Ltd (SES)', 'GB', '', 'paren_acronym', "SDN alias 'SES GROUP'"),
    ('Global Business Services (GBS)', '', '', 'paren_acronym', "SDN 'GBS TRADING S.A.'"),
    ('Nordic Power Consulting AS (NPC)', 'NO', '', 'paren_acronym', "SDN 'NPC INTERNATIONAL'"),
    ('Ferro Metal Fabrication (FMF)', '', '', 'paren_acronym', "SDN 'FMF GENERAL TRADING LLC'"),
    ('Integrated Automation Controls (IAC)', '', '', 'paren_acronym', "SDN 'IAC INTERNATIONAL INC.'"),
    ('China Communications Construction Company (CCCC)', 'CN', 'CHINA COMMUNICATIONS CONSTRUCTION COMPANY LIMITED',
     'paren_acronym', 'the acronym beside its own name'),
    ('Contemporary Amperex Technology Co., Limited (CATL)', 'CN', 'Contemporary Amperex Technology Co., Ltd.',
     'paren_acronym', 'the acronym beside its own name'),
    ('China National Chemical Engineering Group Corporation (CNCEC)',
     '',
     'China National Chemical Engineering Group Corporation',
     'paren_acronym',
     'generic name words agree, the acronym with them'),
    ('Semiconductor Manufacturing International Corp. (SMIC)',
     'CN',
     'Semiconductor Manufacturing International Corporation',
     'paren_acronym',
     'the acronym beside its own name'),
    ('J.P. Morgan', 'US', '', 'initials', "J.P. read as the Serbian form JP; 'LLC Morgan' matched on Morgan alone"),
    ('JP Foods', '', '', 'initials', 'JP read as a legal form'),
    ('A.O. Smith Corporation', 'US', '', 'initials', 'A.O. read as the Russian form AO'),
    ('J.B. Hunt Transport Services', 'US', '', 'initials', 'initials then a surname'),
    ('K.B. Morgan Logistics', '', '', 'initials', 'initials then a surname'),
    ('AO Kaspersky Lab', 'RU', 'AO Kaspersky Lab', 'initials', 'AO leads Russian company names: still a legal form'),
    ('Kronshtadt', 'RU', 'AO Kronshtadt', 'initials', 'AO dropped by the vendor'),
    ('GK Rostec', 'RU', 'State Corporation Rostec', 'initials', 'GK leads Russian state corporations'),
    ('Hikvisions', '', 'HIKVISION', 'plural_typo', 'plural of the brand'),
    ('Dahu Technology', 'CN', 'Dahua Technology', 'plural_typo', 'one letter missing in a five-letter word'),
    ('Dahau Technology Co., Ltd.', '', 'Dahua Technology', 'plural_typo', 'two letters swapped'),
    ('Hyteras Communications', '', 'Hytera Communications Corporation',
     'plural_typo', 'plural not on the last word: fuzzy'),
    ('Kronshtadts', '', 'AO Kronshtadt', 'plural_typo', 'plural of the last word'),
    ('Atos SE', 'FR', '', 'plural_typo', 'Atos is not Atmos: a five-letter typo never carries a match alone'),
    ('Zenit Trading', '', '', 'plural_typo', 'substitution-free short typo must not pair a known word'),
    ('Salam Electronics', '', '', 'plural_typo', 'Salam is not Sanam (substitution)'),
    ('The Boeing Company', 'US', '', 'plural_typo', 'boeing is not beijing'),
    ('Mr. Igor Sechin', 'RU', 'SECHIN, Igor', 'honorific_digits_glued', 'honorific'),
    ('SECHIN, Dr Igor', '', 'SECHIN, Igor', 'honorific_digits_glued', 'honorific after the comma'),
    ('Igor Sech1n', '', 'SECHIN, Igor', 'honorific_digits_glued', 'digit for a letter'),
    ('IgorSechin', '', 'SECHIN, Igor', 'honorific_digits_glued', 'glued, other word order'),
    ('Gennady Timch3nko', '', 'TIMCHENKO, Gennady', 'honorific_digits_glued', 'digit for a letter'),
    ('GennadyTimchenko', '', 'TIMCHENKO, Gennady', 'honorific_digits_glued', 'glued, other word order'),
    ('Hikv1sion Digital Technology', '', 'Hangzhou Hikvision Digital Technology Co., Ltd.',
     'honorific_digits_glued', 'digit for a letter'),
    ("Dr. Reddy's Laboratories", 'IN', '', 'honorific_digits_glued', 'honorific in a company name'),
    ('Mr. Cooper Group Inc.', 'US', '', 'honorific_digits_glued', 'honorific in a company name'),
    ('A1 Telekom Austria', 'AT', '', 'honorific_digits_glued', 'a digit ending a word is a code, not a letter'),
    ('Model3 Motors', '', '', 'honorific_digits_glued', 'trailing digit is a code'),
    ('Sir Speedy Printing', 'US', '', 'honorific_digits_glued', 'honorific in a company name'),
    ('China Communications Construction Company Ltd', 'CN', 'CHINA COMMUNICATIONS CONSTRUCTION COMPANY LIMITED',
     'company_vs_group', 'CCCC, not CCCG'),
    ('China Communications Construction Group Ltd', 'CN', 'CHINA COMMUNICATIONS CONSTRUCTION GROUP (LIMITED)',
     'company_vs_group', 'CCCG, not CCCC'),
    ('China Telecom Group Co., Ltd.', 'CN', 'China Telecom Group Co., Ltd.',
     'company_vs_group', 'the group, not the listed company'),
    ('China Telecom Corporation Limited', 'CN', 'CHINA TELECOM CORP LTD',
     'company_vs_group', 'the company, not the group'),
    ('China General Nuclear Power Corporation', 'CN', 'CHINA GENERAL NUCLEAR POWER CORPORATION',
     'company_vs_group', 'the company, not the group'),
    ('China General Nuclear Power Group', 'CN', 'China General Nuclear Power Group',
     'company_vs_group', 'the group, not the company'),
    ('Aerospace Communications Holdings Group Co Ltd', 'CN', 'AEROSPACE COMMUNICATIONS HOLDINGS GROUP COMPANY LIMITED',
     'company_vs_group', 'the group'),
    ('Fulmen Company', '', 'FULMEN COMPANY', 'company_vs_group', 'the company, not FULMEN GROUP'),
    ('Ramor Group', '', 'RAMOR GROUP', 'company_vs_group', 'the group, not Ramor Company'),
    ('Oleg Deripaska', 'RU', 'DERIPASKA, Oleg Vladimirovich', 'person_potential', 'patronymic missing'),
    ('Arkadi Rotenbreg', '', 'ROTENBERG, Arkady', 'person_potential', 'typo and romanisation'),
    ('Viktor Vekselberg', '', 'VEKSELBERG, Victor', 'person_potential', 'romanisation'),
    ('Gennadiy Timchenko', '', 'TIMTCHENKO, Guennadi', 'person_potential', 'French romanisation on the list'),
    ('Alisher Usmanov', '', 'USMANOV, Alisher Burhanovich', 'person_potential', 'patronymic missing'),
    ('Oleg Petrov', '', '', 'person_potential', 'common name, not listed'),
    ('Maria Ivanova', '', '', 'person_potential', 'common name, not listed'),
    ('Dr. Anna Schmidt', 'DE', '', 'person_potential', 'not listed'),
    ('Omer Boztepe Consulting LLC', 'TR', '', 'person_potential', 'a company, not the person: strict threshold'),
]

LEGIT_COMPANIES = """Siemens AG|Honeywell International Inc.|Bosch Security Systems|Axis Communications AB|
Hanwha Vision Co., Ltd.|Motorola Solutions, Inc.|Genetec Inc.|Milestone Systems A/S|Avigilon Corporation|
Johnson Controls International plc|Schneider Electric SE|ABB Ltd|Konecranes Plc|Liebherr-International AG|
Kalmar Corporation|Cargotec Oyj|Rockwell Automation, Inc.|Emerson Electric Co.|Dell Technologies Inc.|HP Inc.|
Advanced Micro Devices, Inc.|NVIDIA Corporation|Qualcomm Incorporated|Telefonaktiebolaget LM Ericsson|Nokia Oyj|
LG Electronics Inc.|Sony Group Corporation|Panasonic Holdings Corporation|Fujitsu Limited|Hitachi, Ltd.|
Toshiba Corporation|Mitsubishi Electric Corporation|Thales S.A.|Airbus SE|The Boeing Company|General Electric Company|
AB Volvo|A.P. Moller - Maersk A/S|Mediterranean Shipping Company S.A.|CMA CGM S.A.|Hapag-Lloyd AG|
PSA International Pte Ltd|Smiths Detection Group Ltd|Rapiscan Systems, Inc.|L3Harris Technologies, Inc.|
Leidos Holdings, Inc.|Teledyne FLIR LLC|Verkada Inc.|Ubiquiti Inc.|Juniper Networks, Inc.|Arista Networks, Inc.|
Fortinet, Inc.|Palo Alto Networks, Inc.|Check Point Software Technologies Ltd.|Sophos Ltd|ESET, spol. s r.o.|
Bitdefender SRL|Microsoft Corporation|Oracle Corporation|International Business Machines Corporation|Capgemini SE|
Atos SE|Tata Consultancy Services Limited|Infosys Limited|Wipro Limited|Zebra Technologies Corporation|
Vertiv Holdings Co|Eaton Corporation plc|Belden Inc.|CommScope Holding Company, Inc.|Corning Incorporated|
Amphenol Corporation|TE Connectivity Ltd.|Legrand SA|Hubbell Incorporated|Vicon Industries, Inc.|Digital Ally, Inc.|
Trimble Inc.|Iridium Communications Inc.|Inmarsat Global Limited|Viasat, Inc.|Kongsberg Gruppen ASA|Wartsila Oyj Abp|
Rolls-Royce Holdings plc|BAE Systems plc|Saab AB|Rheinmetall AG|Dassault Systemes SE|Hexagon AB|
Landis+Gyr Group AG|Itron, Inc.|Xylem Inc.|Danfoss A/S|Grundfos Holding A/S|Yokogawa Electric Corporation|
Keyence Corporation|Fanuc Corporation|Yaskawa Electric Corporation|Beckhoff Automation GmbH|Moxa Inc.|
Advantech Co., Ltd.|Siemens Mobility GmbH|Alstom SA|Stadler Rail AG|Wabtec Corporation|Knorr-Bremse AG|
Thyssenkrupp AG|Otis Worldwide Corporation|Kone Oyj|Schindler Holding AG|Carrier Global Corporation|
Trane Technologies plc|Daikin Industries, Ltd.|Sandvik AB|Epiroc AB|Stanley Black & Decker, Inc.|
Makita Corporation|Fluke Corporation|Keysight Technologies, Inc.|Rohde & Schwarz GmbH & Co. KG|Anritsu Corporation|
Viavi Solutions Inc.|Spirent Communications plc|Netgear, Inc.|Synology Inc.|QNAP Systems, Inc.|
Western Digital Corporation|Seagate Technology Holdings plc|Kingston Technology Company, Inc.|SK hynix Inc.|
Broadcom Inc.|Marvell Technology, Inc.|Texas Instruments Incorporated|Analog Devices, Inc.|NXP Semiconductors N.V.|
Infineon Technologies AG|STMicroelectronics N.V.|Renesas Electronics Corporation|Microchip Technology Incorporated|
ON Semiconductor Corporation|Lattice Semiconductor Corporation|Arm Holdings plc|Red Hat, Inc.|VMware LLC|
Citrix Systems, Inc.|Splunk Inc.|ServiceNow, Inc.|Salesforce, Inc.|Adobe Inc.|Autodesk, Inc.|
Bentley Systems, Incorporated|Cloudflare, Inc.|Akamai Technologies, Inc.|Okta, Inc.|CrowdStrike Holdings, Inc.|
SentinelOne, Inc.|Tenable Holdings, Inc.|Rapid7, Inc.|Qualys, Inc.|Proofpoint, Inc.|Mimecast Limited|Zscaler, Inc.|
Netskope, Inc.|F5, Inc.|Amazon Web Services, Inc.|Google LLC|Apple Inc.|Meta Platforms, Inc.|Dräger Safety AG|
Hagenuk Marinekommunikation GmbH|Sick AG|Pepperl+Fuchs SE|Endress+Hauser AG|Vaisala Oyj|Furuno Electric Co., Ltd.|
Kongsberg Maritime AS|Navico Group|Raymarine UK Ltd|Sperry Marine|Saab Kockums AB|Terberg Special Vehicles|
Tideworks Technology Inc.|Identec Solutions AG|Orbcomm Inc.|Nedap N.V.|HID Global Corporation|
Assa Abloy AB|Allegion plc|Gallagher Group Limited|LenelS2|Software House|Brivo Inc.|Paxton Access Ltd|
Suprema Inc.|IDEMIA Group|Thales DIS|Entrust Corporation|Zwipe AS|Securitas AB|G4S Limited|Allied Universal|
Garda World Security Corporation|Prosegur Compania de Seguridad S.A.|Loomis AB|Brink's Company""".replace("\n", "")

SWAP_WORDS = ["Orvane", "Kestrelon", "Valtique", "Brindale", "Quorvex", "Miravent", "Solbrek", "Tanverra",
              "Halcyra", "Dunmerrow", "Pellucor", "Vexmoor", "Ostravin", "Calderix", "Nimbrel", "Frostvale",
              "Lumarik", "Verdanza", "Thalvos", "Cobrentix"]

LEGAL_SWAPS = [("Co., Ltd.", "Company Limited"), ("Company Limited", "Co., Ltd."), ("Corporation", "Corp."),
               ("Corp.", "Corporation"), ("Limited", "Ltd"), ("Ltd.", "Limited"), ("Inc.", "Incorporated"),
               ("LLC", "L.L.C."), ("JSC", "Joint Stock Company"), ("Joint Stock Company", "JSC"),
               ("OOO", "LLC"), ("LLC", "OOO"), ("S.A.", "SA"), ("GmbH", "G.m.b.H."), ("CO., LTD.", "CO LTD"),
               ("LIMITED", "LTD"), ("CORPORATION", "CORP"), ("COMPANY", "CO")]
ABBREVS = [("Technology", "Tech"), ("Technologies", "Tech."), ("International", "Intl"), ("INTERNATIONAL", "INTL"),
           ("TECHNOLOGY", "TECH"), ("Industries", "Inds"), ("Manufacturing", "Mfg"), (" & ", " and "), ("and", "&"),
           ("AND", "&"), ("Holdings", "Hldgs")]
CITIES = ["Shenzhen, Guangdong", "Beijing", "Moscow, Russia", "Dubai, UAE", "Tehran", "Hong Kong",
          "Shanghai, China", "Minsk"]
ACCENTS = {"e": "é", "a": "á", "o": "ö", "u": "ü", "i": "í", "c": "ç"}
SAMPLE_QUOTAS = {"us_csl": 95, "ofac_sdn": 55, "eu_journal_833": 45, "uk_ofsi": 25, "un_sc": 15,
                 "ofac_consolidated": 20, "dod_1260h": 25, "fcc_covered_list": 4, "us_ndaa_section_889": 3,
                 "us_ndaa_section_154": 3}
RULES = ["typo", "word_order", "drop_legal", "swap_legal", "case_punct", "glued_address", "abbreviation", "accents",
         "exact_upper"]


def _core(name: str) -> tuple[str, ...]:
    variants = name_variants(name)
    return variants[0].tokens if variants else ()


def _distinctive(tokens: tuple[str, ...]) -> list[str]:
    return [t for t in tokens if t not in GENERIC_TOKENS and t not in GEO_TOKENS and len(t) > 2 and t.isalpha()]


def _typo(name: str, rnd: random.Random) -> str | None:
    words = [w for w in re.findall(r"[A-Za-z]{6,}", name) if _distinctive(_core(w))]
    words = words or re.findall(r"[A-Za-z]{7,}", name)
    if not words:
        return None
    word = max(words, key=len)
    i = rnd.randrange(1, len(word) - 1)
    kind = rnd.choice(["sub", "del", "swap", "ins"])
    letters = "aeiourstnl" if word.islower() or word.istitle() else "AEIOURSTNL"
    if kind == "sub":
        new = word[:i] + rnd.choice([c for c in letters if c != word[i]]) + word[i + 1 :]
    elif kind == "del":
        new = word[:i] + word[i + 1 :]
    elif kind == "swap":
        if word[i] == word[i + 1]:
            return None
        new = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    else:
        new = word[:i] + rnd.choice(letters) + word[i:]
    return name.replace(word, new, 1)


def _variant(name: str, rule: str, rnd: random.Random) -> str | None:
    if rule == "typo":
        return _typo(name, rnd)
    if rule == "word_order":
        words = name.replace(",", "").split()
        core = [w for w in words if _core(w)]
        if len(core) < 2:
            return None
        a, b = core[0], core[1]
        out = " ".join(b if w == a else a if w == b else w for w in words)
        return out if out != name else None
    if rule == "drop_legal":
        variants = name_variants(name)
        if not variants or not variants[0].legal:
            return None
        return " ".join(w for w in re.split(r"\s+", re.sub(r"[,]", " ", name)) if w and _core(w)) or None
    if rule == "swap_legal":
        for old, new in LEGAL_SWAPS:
            if re.search(rf"(?<!\w){re.escape(old)}(?!\w)", name):
                return re.sub(rf"(?<!\w){re.escape(old)}(?!\w)", new, name, count=1)
        return None
    if rule == "case_punct":
        out = re.sub(r"[.,()\"“”«»]", "", name)
        out = out.lower() if rnd.random() < 0.5 else out.upper()
        return re.sub(r"\s+", " ", out).strip() if out != name else None
    if rule == "glued_address":
        variants = name_variants(name)
        if not variants or not variants[0].legal:
            return None
        return f"{name}, {rnd.choice(CITIES)}"
    if rule == "abbreviation":
        for old, new in ABBREVS:
            pattern = rf"(?<![\w&]){re.escape(old.strip())}(?![\w&])"
            if re.search(pattern, name):
                return re.sub(pattern, new.strip(), name, count=1)
        return None
    if rule == "accents":
        positions = [i for i, c in enumerate(name) if c.lower() in ACCENTS]
        if not positions:
            return None
        i = rnd.choice(positions)
        c = ACCENTS[name[i].lower()]
        return name[:i] + (c.upper() if name[i].isupper() else c) + name[i + 1 :]
    if rule == "exact_upper":
        return name.upper()
    raise ValueError(rule)


def build(lists_dir: Path) -> list[dict]:
    rnd = random.Random(SEED)
    records = load_list_records(lists_dir)  # the production parsers (the direct readers are gone)
    vocab: set[str] = set()
    all_cores: set[tuple[str, ...]] = set()
    for record in records:
        for name in record.names:
            for variant in name_variants(name):
                vocab.update(variant.tokens)
                all_cores.add(variant.tokens)
    rows: list[dict] = []
    for query, country, expected, note in HAND_POSITIVES:
        rows.append({"query": query, "country": country, "expected_entry_name": expected, "label": "match",
                     "category": "hand", "note": note})
    for query, country, note in HAND_NEGATIVES:
        rows.append({"query": query, "country": country, "expected_entry_name": "", "label": "no_match",
                     "category": "negative_lookalike", "note": note})
    for query in LEGIT_COMPANIES.split("|"):
        query = query.strip()
        if not query:
            continue
        rows.append({"query": query, "country": "", "expected_entry_name": "", "label": "no_match",
                     "category": "negative_legit", "note": "legitimate company, not on any list"})

    by_list: dict[str, list] = {}
    for record in records:
        if record.entry_type != "entity":
            continue
        by_list.setdefault(record.key.split(":")[0], []).append(record)
    sampled_names: list[str] = []
    rule_i = 0
    for list_name, quota in SAMPLE_QUOTAS.items():
        pool = sorted(by_list.get(list_name, []), key=lambda r: str(r.key))
        rnd.shuffle(pool)
        taken = 0
        for record in pool:
            if taken >= quota:
                break
            name = record.names[0].strip()
            if name.lower().startswith("(category)"):
                continue  # FCC categories of equipment are not companies
            core = _core(name)
            # skip names that are too weak to be a vendor name: one generic word, or under 4 letters
            if not core or not _distinctive(core) or len("".join(core)) < 4 or len(name) > 90:
                continue
            rule_i += 1
            for attempt in range(len(RULES)):
                rule = RULES[(rule_i + attempt) % len(RULES)]
                query = _variant(name, rule, rnd)
                if query and query.strip():
                    break
            else:
                continue
            rows.append({"query": query, "country": "", "expected_entry_name": name, "label": "match",
                         "category": f"sampled_{rule}", "note": f"{list_name} {record.key}"})
            sampled_names.append(name)
            taken += 1

    # swapped negatives: same generic words, distinctive word replaced by one that is in no list name
    swaps = 0
    for name in sampled_names:
        if swaps >= 60:
            break
        if "(" in name:
            continue  # a bracket usually holds an alias or acronym of the same entity
        core = _core(name)
        distinct = _distinctive(core)
        generic = [t for t in core if t not in distinct]
        # a different company sharing the generic words: the ONLY distinctive word is replaced
        if len(core) < 2 or len(core) > 4 or len(distinct) != 1 or not generic:
            continue
        target = distinct[0]
        word = SWAP_WORDS[swaps % len(SWAP_WORDS)]
        if word.lower() in vocab:
            continue
        query = re.sub(re.escape(target), word, name, count=1, flags=re.IGNORECASE)
        if query == name or _core(query) in all_cores:
            continue
        rows.append({"query": query, "country": "", "expected_entry_name": "", "label": "no_match",
                     "category": "negative_swapped", "note": f"distinctive word of {name!r} replaced"})
        swaps += 1
    for row in rows:
        row["class"] = row["category"]
    for query, country, expected, klass, note in GAP_ROWS:
        rows.append({"query": query, "country": country, "expected_entry_name": expected,
                     "label": "match" if expected else "no_match",
                     "category": "hand" if expected else "negative_lookalike", "class": klass, "note": note})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", type=Path, default=DEFAULT_LISTS_DIR)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    rows = build(args.lists)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["query", "country", "expected_entry_name", "label", "category",
                                                "class", "note"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
