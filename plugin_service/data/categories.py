"""Path keyword -> category tables for the training-data builder.

Each table is an ordered list; the first rule whose regex matches wins.  A file that matches
no rule is dropped, so every image in the index has a category from these tables.

* ``UNIT_RULES`` (kind ``sprite``) match Wesnoth paths relative to ``data/core/images``
  without extension, e.g. ``units/elves-wood/archer+female-attack-1``.
* ``PROP_RULES`` (kind ``prop``) match Wesnoth ``items/...`` / ``scenery/...`` paths and
  Minetest item file stems (``default_tool_steelsword``).
* ``TEXTURE_RULES`` (kind ``texture``) match a tileable source's name exactly
  (Minetest file stem, or ``gimp/<Folder>/<pattern>`` for GIMP patterns) and give its caption.
* ``FLARE_ICONS`` / ``FLARE_LOOT`` (kind ``prop``) name Flare's item icons and loot animations
  one by one, with their captions.

To add data: add a rule here; the builder needs no other change.
"""
from __future__ import annotations

import re

# --------------------------------------------------------------------------- sprites (units)
# (category, regex searched in the lower-cased relative path)
UNIT_RULES: list[tuple[str, str]] = [
    # things that are not units or are overlays
    ("", r"^units/(transport/|random-dice|unknown-unit)"),
    ("", r"[-_](flame\d*|glow|halo|mask|ellipse)(-|$)"),
    ("flying beast", r"^units/undead/(bat|bloodbat|dreadbat)"),
    ("flying beast", r"^units/monsters/.*\b(falcon|gryphon|roc|wyvern)\b"),
    ("flying beast", r"^units/dunefolk/skirmisher/(falcon|eagle)"),
    ("horse rider", r"^units/human-loyalists/(knight|horseman|lancer|dragoon|cavalryman|paladin|grand-knight|cavalier)/"),
    ("horse rider", r"^units/dunefolk/rider/"),
    ("horse rider", r"^units/elves-wood/(scout|outrider|rider)/"),
    ("human soldier", r"^units/human-loyalists/"),
    ("dunefolk", r"^units/dunefolk/"),
    ("mage", r"^units/human-magi/"),
    ("outlaw", r"^units/human-(outlaws|peasants)/"),
    ("elf", r"^units/elves-wood/"),
    ("dwarf", r"^units/dwarves/"),
    ("goblin", r"^units/goblins/"),
    ("merfolk", r"^units/merfolk/"),
    ("naga", r"^units/nagas/"),
    ("orc", r"^units/orcs/"),
    ("saurian", r"^units/saurians/"),
    ("troll", r"^units/(trolls|ogres)/"),
    ("drake", r"^units/drakes/"),
    ("zombie", r"^units/undead/(soulless|zombie|ghoul|ghast|necrophage)"),
    ("ghost", r"^units/undead/(shadow|spectre|ghost|wraith|nightgaunt)"),
    ("ghost", r"^units/monsters/.*\b(fireghost|firewraith)\b"),
    ("necromancer", r"^units/undead-necromancers/"),
    ("skeleton", r"^units/undead-skeletal/"),
    ("wose", r"^units/woses/"),
    ("giant insect", r"^units/monsters/.*\b(scorpion|scorpling|scarab|ant|spider)\b"),
    ("sea monster", r"^units/monsters/.*\b(cuttlefish|tentacle|serpent|seahorse|seaserpent)\b"),
    ("beast", r"^units/monsters/.*\b(bear|boar|piglet|wolf|direwolf|stoat|horse|icemonax|monax|yeti|croc|crocodile)\b"),
    ("elemental", r"^units/monsters/.*\b(jinn|mudcrawler|giant-mudcrawler)\b"),
]

# race folder -> adjective used in captions ("" = the file name alone is the caption)
UNIT_RACE_WORD: dict[str, str] = {
    "drakes": "drake", "dunefolk": "dunefolk", "dwarves": "dwarvish", "elves-wood": "elvish",
    "goblins": "goblin", "human-loyalists": "human", "human-magi": "", "human-outlaws": "",
    "human-peasants": "", "merfolk": "merfolk", "monsters": "", "nagas": "naga", "ogres": "",
    "orcs": "orcish", "saurians": "saurian", "trolls": "troll", "undead": "undead",
    "undead-necromancers": "", "undead-skeletal": "skeleton", "woses": "",
}

# --------------------------------------------------------------------------- props
PROP_RULES: list[tuple[str, str]] = [
    ("", r"furnace|firefl|bones_|string|icon|gui_|_inv$|overlay|crack_|_fragments|shelf|tnt_|carts_|xpanes_|stairs_|beds_|doors_|default_fence|_animated"),
    ("armor", r"armor|helmet|cloak"),
    ("shield", r"buckler|shield"),
    ("sword", r"sword|dagger|scimitar|saber|cleaver"),
    ("bow", r"bow|sling|thunderstick"),
    ("polearm", r"spear|trident|halberd|pike|glaive|lance|pitchfork|javelin|scythe"),
    ("axe", r"axe"),
    ("tool", r"shovel|_hoe|tool_.*pick|screwdriver|bucket|anvil|key|binoculars|bugnet|flint_steel|mapping_kit"),
    ("staff", r"staff|sceptre|wand|default_stick"),
    ("blunt weapon", r"hammer|mace|club"),
    ("potion", r"potion|holy-water"),  # not Minetest's empty glass bottles: white outlines, no potion
    ("jewelry", r"(^|[/_-])ring|necklace|talisman|ankh|ornate"),
    ("book", r"book|scroll|tablet|default_paper"),
    ("treasure", r"coins|gold_ingot|gold_lump|mese_crystal$|default_diamond$|ball-"),  # coins, gold, gems: not ore lumps
    ("container", r"chest|box|barrel|coffin|leather-pack|bag|cage|burial"),
    ("fire", r"brazier|torch|fire|flame"),
    ("building", r"castle|temple|village|windmill|mausoleum|lighthouse|scenery/well|tent-|leanto|mine-abandoned|ruin|shipwreck|wreck|dwarven-doors|gate-|signpost|trapdoor"),
    ("rock", r"rock|monolith|cairn|slab|rubble|icepack"),
    ("magic circle", r"rune|summoning|circle-magic|whirlpool"),
    ("plant", r"flower|scenery/pine|oak-|branch|grain|straw|sapling|mushroom|tulip|rose|dandelion|viola|geranium|chrysanthemum|waterlily|fern_|grass_\d|cactus|papyrus|kelp|coral_(?!skeleton)|junglegrass|dry_shrub|apple|blueberries|wheat|cotton|nest-"),
]

# --------------------------------------------------------------------------- textures
# (category, exact source name, caption)
_MT = "minetest"
TEXTURE_RULES: list[tuple[str, str, str]] = [
    ("stone", "default_stone", "grey stone"),
    ("stone", "default_desert_stone", "red desert stone"),
    ("stone", "default_stone_block", "smooth stone blocks"),
    ("stone", "default_desert_stone_block", "red stone blocks"),
    ("stone", "default_obsidian", "black obsidian"),
    ("stone", "default_obsidian_block", "obsidian blocks"),
    ("stone", "gimp/Stone/rock", "rough rock"),
    ("stone", "gimp/Stone/slate", "dark slate"),
    ("stone", "gimp/Stone/stone33", "grey stone"),
    ("stone", "gimp/Stone/granite1", "speckled granite"),
    ("stone", "gimp/Stone/cracked", "cracked stone"),
    ("stone", "gimp/Stone/terra", "terracotta stone"),
    ("stone", "gimp/Stone/Craters", "cratered rock"),
    ("stone", "gimp/Stone/Moonfoot", "moon rock"),
    ("stone", "gimp/Stone/ground1", "rocky ground"),
    ("cobblestone", "default_cobble", "cobblestone"),
    ("cobblestone", "default_desert_cobble", "desert cobblestone"),
    ("cobblestone", "default_mossycobble", "mossy cobblestone"),
    ("brick", "default_brick", "red clay bricks"),
    ("brick", "default_stone_brick", "stone bricks"),
    ("brick", "default_desert_stone_brick", "red stone bricks"),
    ("brick", "default_sandstone_brick", "sandstone bricks"),
    ("brick", "default_desert_sandstone_brick", "desert sandstone bricks"),
    ("brick", "default_silver_sandstone_brick", "pale sandstone bricks"),
    ("brick", "default_obsidian_brick", "obsidian bricks"),
    ("brick", "gimp/Stone/brick", "brick wall"),
    ("wood planks", "default_wood", "wood planks"),
    ("wood planks", "default_pine_wood", "pine wood planks"),
    ("wood planks", "default_acacia_wood", "acacia wood planks"),
    ("wood planks", "default_aspen_wood", "aspen wood planks"),
    ("wood planks", "default_junglewood", "dark jungle wood planks"),
    ("wood planks", "gimp/Wood/wood1", "wood grain"),
    ("wood planks", "gimp/Wood/wood2", "light wood grain"),
    ("wood planks", "gimp/Wood/wood3", "wood grain"),
    ("wood planks", "gimp/Wood/wood4", "dark wood grain"),
    ("wood planks", "gimp/Wood/wood5", "wood grain"),
    ("wood planks", "gimp/Wood/parque1", "parquet wood floor"),
    ("wood planks", "gimp/Wood/parque2", "parquet wood floor"),
    ("wood planks", "gimp/Wood/parque3", "parquet wood floor"),
    ("wood planks", "gimp/Wood/walnut", "walnut wood"),
    ("wood planks", "gimp/Wood/pine", "pine wood"),
    ("wood planks", "gimp/Wood/burlwood", "burl wood"),
    ("tree bark", "default_tree", "oak tree bark"),
    ("tree bark", "default_pine_tree", "pine tree bark"),
    ("tree bark", "default_acacia_tree", "acacia tree bark"),
    ("tree bark", "default_aspen_tree", "birch tree bark"),
    ("tree bark", "default_jungletree", "jungle tree bark"),
    ("tree bark", "gimp/Wood/bark", "tree bark"),
    ("grass", "default_grass", "green grass"),
    ("grass", "default_dry_grass", "dry yellow grass"),
    ("grass", "default_rainforest_litter", "jungle floor litter"),
    ("grass", "default_coniferous_litter", "pine needle forest floor"),
    ("dirt", "default_dirt", "brown dirt"),
    ("dirt", "default_dry_dirt", "dry cracked dirt"),
    ("dirt", "default_permafrost", "frozen dirt"),
    ("dirt", "default_clay", "grey clay"),
    ("dirt", "farming_soil", "tilled farm soil"),
    ("dirt", "farming_soil_wet", "wet tilled soil"),
    ("sand", "default_sand", "yellow sand"),
    ("sand", "default_desert_sand", "red desert sand"),
    ("sand", "default_silver_sand", "pale silver sand"),
    ("sand", "farming_desert_sand_soil", "tilled desert sand"),
    ("sandstone", "default_sandstone", "sandstone"),
    ("sandstone", "default_desert_sandstone", "desert sandstone"),
    ("sandstone", "default_silver_sandstone", "pale sandstone"),
    ("sandstone", "default_sandstone_block", "sandstone blocks"),
    ("sandstone", "default_desert_sandstone_block", "desert sandstone blocks"),
    ("sandstone", "default_silver_sandstone_block", "pale sandstone blocks"),
    ("gravel", "default_gravel", "grey gravel"),
    ("water", "default_water", "blue water"),
    ("water", "default_water_source_animated", "rippling water"),
    ("water", "default_river_water", "river water"),
    ("water", "default_river_water_source_animated", "flowing river water"),
    ("water", "gimp/Water/pool", "pool water"),
    ("lava", "default_lava", "lava"),
    ("lava", "default_lava_source_animated", "molten lava"),
    ("leaves", "default_leaves", "green tree leaves"),
    ("leaves", "default_pine_needles", "pine needles"),
    ("leaves", "default_jungleleaves", "jungle leaves"),
    ("leaves", "default_acacia_leaves", "acacia leaves"),
    ("leaves", "default_aspen_leaves", "birch leaves"),
    ("leaves", "default_blueberry_bush_leaves", "bush leaves"),
    ("leaves", "gimp/Plant/leaves", "green leaves"),
    ("ice and snow", "default_snow", "white snow"),
    ("ice and snow", "default_ice", "blue ice"),
    ("ice and snow", "gimp/Water/ice", "frozen ice"),
    ("metal", "default_steel_block", "steel plate"),
    ("metal", "default_tin_block", "tin plate"),
    ("metal", "default_copper_block", "copper plate"),
    ("metal", "default_gold_block", "gold plate"),
    ("metal", "default_bronze_block", "bronze plate"),
    ("ore", "ore:coal", "stone with coal ore"),
    ("ore", "ore:iron", "stone with iron ore"),
    ("ore", "ore:copper", "stone with copper ore"),
    ("ore", "ore:tin", "stone with tin ore"),
    ("ore", "ore:gold", "stone with gold ore"),
    ("ore", "ore:mese", "stone with yellow crystal ore"),
    ("ore", "ore:diamond", "stone with diamond ore"),
    ("marble", "gimp/Stone/marble1", "white marble"),
    ("marble", "gimp/Stone/marble2", "veined marble"),
    ("marble", "gimp/Stone/marble3", "grey marble"),
    ("marble", "gimp/Stone/pink_marble", "pink marble"),
    ("fabric", "gimp/Fabric/burlap", "burlap cloth"),
] + [
    ("fabric", f"wool_{c}", f"{c.replace('_', ' ')} wool cloth")
    for c in ("black", "blue", "brown", "cyan", "dark_green", "dark_grey", "green", "grey",
              "magenta", "orange", "pink", "red", "violet", "white", "yellow")
]

TEXTURE_BY_NAME: dict[str, tuple[str, str]] = {name: (cat, cap) for cat, name, cap in TEXTURE_RULES}

_UNIT_RX = [(c, re.compile(r)) for c, r in UNIT_RULES]
_PROP_RX = [(c, re.compile(r)) for c, r in PROP_RULES]


def unit_category(relpath: str) -> str | None:
    """Category of a Wesnoth unit image (path relative to ``images``, no extension)."""
    p = relpath.lower()
    for cat, rx in _UNIT_RX:
        if rx.search(p):
            return cat or None
    return None


def prop_category(name: str) -> str | None:
    """Category of a prop image given its relative path / file stem."""
    p = name.lower()
    for cat, rx in _PROP_RX:
        if rx.search(p):
            return cat or None
    return None


def texture_category(name: str) -> tuple[str, str] | None:
    """(category, caption) of a tileable source, or None."""
    return TEXTURE_BY_NAME.get(name)


def all_categories() -> dict[str, str]:
    """category -> kind for every category any table can produce."""
    out: dict[str, str] = {}
    for c, _ in UNIT_RULES:
        if c:
            out[c] = "sprite"
    for c, _ in PROP_RULES:
        if c:
            out[c] = "prop"
    for c, _, _ in TEXTURE_RULES:
        out[c] = "texture"
    return out


# --------------------------------------------------------------------------- Flare (flare-game)
# Flare's item art maps to prop categories by hand: its file names ("hp_potion", icon 81) say
# little. Only categories the shipped model already has are listed, so a checkpoint resumes on
# data that includes Flare (a new category changes the discriminator's category head). Left out
# for that reason: shields (icons 120-122), clubs, maces and hammers (102, 103, 109-111), armour.
# Captions avoid the evaluation's held-out phrasings ("longbow", "rod", "tome", ...). Icons drawn
# with a glow (glowing potions 84-87, great sword 99, staffs 105-107) are left out too: the glow
# fills their black square, so keying out the black leaves a dark square behind the item.
# Icons: mods/fantasycore/images/icons/icons.png, 32 px cells, 8 per row, index -> (category, caption).
FLARE_ICONS: dict[int, tuple[str, str]] = {
    64: ("potion", "red health potion"), 65: ("potion", "blue mana potion"),
    80: ("potion", "green potion"), 81: ("potion", "purple potion"), 82: ("potion", "yellow potion"),
    83: ("potion", "potion"),
    68: ("treasure", "blue sapphire"), 69: ("treasure", "green emerald"), 70: ("treasure", "red ruby"),
    71: ("treasure", "white diamond"), 88: ("treasure", "stack of gold coins"),
    **{i: ("book", "scroll") for i in range(72, 80)}, 224: ("book", "blank scroll"), 225: ("book", "book"),
    96: ("sword", "dagger"), 97: ("sword", "short sword"), 98: ("sword", "long sword"),
    100: ("sword", "two-handed sword"),
    101: ("tool", "smith hammer"), 226: ("tool", "key"),
    104: ("staff", "magic wand"),
    112: ("bow", "slingshot"), 113: ("bow", "short bow"), 114: ("bow", "bow"), 115: ("bow", "great bow"),
    117: ("axe", "hand axe"), 118: ("axe", "infantry axe"), 119: ("axe", "battle axe"),
    **{i: ("jewelry", "gold ring") for i in (199, 201, 203, 205, 207)},
    **{i: ("jewelry", "silver ring") for i in (198, 200, 202, 204, 206)},
    212: ("jewelry", "gold necklace"), 213: ("jewelry", "gold necklace"),
    214: ("jewelry", "silver necklace"), 215: ("jewelry", "silver necklace"),
}
# Loot: mods/fantasycore/animations/loot/<stem>.txt, the frames of an item falling to the ground.
FLARE_LOOT: dict[str, tuple[str, str]] = {
    "coins5": ("treasure", "few gold coins"), "coins25": ("treasure", "gold coins"),
    "coins100": ("treasure", "pile of gold coins"), "gem": ("treasure", "gem"),
    "dagger": ("sword", "dagger"), "shortsword": ("sword", "short sword"), "longsword": ("sword", "long sword"),
    "greatsword": ("sword", "great sword"), "zweihander": ("sword", "two-handed sword"),
    "hand_axe": ("axe", "hand axe"), "battle_axe": ("axe", "battle axe"), "infantry_axe": ("axe", "infantry axe"),
    "staff": ("staff", "wooden staff"), "greatstaff": ("staff", "great staff"), "wand": ("staff", "magic wand"),
    "rod": ("staff", "magic staff"), "shortbow": ("bow", "short bow"), "longbow": ("bow", "bow"),
    "greatbow": ("bow", "great bow"), "book": ("book", "book"), "scroll": ("book", "scroll"),
    "hp_potion": ("potion", "red health potion"), "mp_potion": ("potion", "blue mana potion"),
    "ring": ("jewelry", "gold ring"),
}
