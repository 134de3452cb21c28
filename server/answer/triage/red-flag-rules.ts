/** How soon a red flag needs care: `emergency` = now (call an ambulance); `urgent` = today. */
export type TriageLevel = 'emergency' | 'urgent';

/** The kinds of red flag, each with its own guidance. */
export type RedFlagCategory =
  | 'cardiac'
  | 'stroke'
  | 'anaphylaxis'
  | 'breathing'
  | 'bleeding'
  | 'suicide'
  | 'poisoning'
  | 'infant-fever'
  | 'seizure'
  | 'head-injury'
  | 'meningitis'
  | 'pregnancy';

/**
 * One transparent rule: it fires when every group in `allOf` has a match (a group is a list of
 * alternatives) in the question, in English or Chinese. Reviewable by a clinician line by line.
 */
export interface RedFlagRule {
  id: string;
  category: RedFlagCategory;
  level: TriageLevel;
  /** What the rule recognises, in words (shown as the triage reason). */
  description: string;
  allOf: ReadonlyArray<ReadonlyArray<RegExp>>;
}

// Shared vocabularies. English patterns are matched on lower-cased text; Chinese as written.
const CHEST_PAIN = [
  /\bchest (?:pain|pressure|tightness|heaviness)\b/,
  /\b(?:pain|pressure|tightness) in (?:my|the|his|her) chest\b/,
  /\bheart attack\b/,
  /胸痛|胸口痛|胸闷|心口痛|胸部(?:疼痛|压迫)/,
];
const CARDIAC_COMPANIONS = [
  /\bsweat(?:ing|y|s)?\b/,
  /\bclammy\b/,
  /\b(?:radiat\w*|spread\w*|goes|going|moving)\b.{0,30}\b(?:arm|jaw|neck|back|shoulder)\b/,
  /\b(?:left )?arm\b.{0,20}\b(?:pain|numb\w*|ache)\b/,
  /\bjaw pain\b/,
  /\bshort(?:ness)? of breath\b|\bbreathless\b/,
  /\bnause\w*\b|\bvomit\w*\b/,
  /\bcrushing\b|\bsqueezing\b/,
  /\bfaint\w*\b|\bdizz\w*\b/,
  /出汗|冷汗|大汗|放射|左臂|左手臂|下巴|后背痛|呼吸困难|气短|恶心|呕吐|压榨/,
];
const STROKE = [
  /\bface (?:droop\w*|drooping|is drooping|numb\w*)\b|\bdroop\w* (?:face|mouth|smile)\b|\bone side of (?:my|his|her|the) face\b/,
  /\bslurred speech\b|\bslurring\b|\b(?:can'?t|cannot|trouble|difficulty) (?:speak|talk)\w*\b/,
  /\b(?:sudden(?:ly)?|one[- ]sided)\b.{0,40}\b(?:weak\w*|numb\w*|paralys\w*)\b|\b(?:weak\w*|numb\w*) (?:on|in) one side\b/,
  // "Stroke" alone is often a question about strokes; a stroke happening now is an emergency.
  /\b(?:having|had|is having|just had) a (?:mini[- ])?stroke\b/,
  /\bsudden(?:ly)?\b.{0,30}\b(?:vision loss|lost (?:my |his |her )?vision|confus\w*|worst headache)\b/,
  /中风|脑卒中|口角歪斜|嘴歪|面瘫|口齿不清|说话不清|一侧(?:肢体)?(?:无力|麻木)|半身(?:不遂|麻木)/,
];
const ALLERGEN = [
  /\ballerg\w*\b/,
  /\b(?:bee|wasp|insect) sting\b|\bstung\b/,
  /\b(?:peanut|nut|shellfish|penicillin)s?\b/,
  /\bafter (?:eating|taking)\b/,
  /\banaphyla\w*\b/,
  /过敏|蜂蜇|被蜇|花生|青霉素/,
];
const AIRWAY_SWELLING = [
  /\b(?:throat|tongue|lips?|face) (?:is |are |feels? )?(?:swell\w*|swollen|closing|tight\w*)\b/,
  /\bswell\w* (?:of )?(?:my |the )?(?:throat|tongue|lips?|face)\b/,
  /\b(?:can'?t|cannot|hard to|trouble|difficulty) (?:breath\w*|swallow\w*)\b/,
  /\bwheez\w*\b/,
  /\bhives\b.{0,40}\b(?:breath\w*|dizz\w*|faint\w*)\b/,
  /\banaphyla\w*\b/,
  /喉咙肿|喉头水肿|舌头肿|嘴唇肿|呼吸困难|喘不上气|吞咽困难/,
];
const SEVERE_BREATHING = [
  /\b(?:can'?t|cannot|unable to|struggling to) breathe\b/,
  /\bgasping\b/,
  /\b(?:lips?|face|fingers?) (?:is |are |turn\w* )?(?:blue|grey|gray)\b|\bturning blue\b/,
  /\bchoking\b/,
  /喘不过气|不能呼吸|无法呼吸|窒息|嘴唇发紫|嘴唇发青/,
];
const SEVERE_BLEEDING = [
  /\bbleeding (?:heavily|a lot|badly|profusely)\b|\bheavy bleeding\b|\bsevere bleeding\b/,
  /\bbleeding\b.{0,40}\b(?:won'?t|will not|doesn'?t|does not|can'?t|cannot) stop\b/,
  /\b(?:spurting|pouring) blood\b|\bblood (?:is )?(?:spurting|pouring)\b/,
  /\b(?:vomit\w*|cough\w*) (?:up )?(?:a lot of )?blood\b/,
  /\bsoaked (?:through|in blood)\b/,
  /大出血|出血不止|血流不止|止不住血|吐血|咯血|大量出血/,
];
const SUICIDE = [
  /\bsuicid\w*\b/,
  /\bkill (?:my ?self|myself)\b/,
  /\bend (?:my|it) (?:life|all)\b|\bend it all\b/,
  /\b(?:want|wants|wanted|going) to die\b/,
  /\b(?:don'?t|do not) want to (?:live|be alive)\b/,
  /\bself[- ]harm\w*\b|\bhurt(?:ing)? myself\b|\bcut(?:ting)? myself\b/,
  /\bbetter off dead\b/,
  /自杀|想死|不想活|轻生|结束(?:自己的)?生命|割腕|跳楼|活着没意思/,
];
const POISONING = [
  /\boverdos\w*\b/,
  /\b(?:swallowed|drank|ingested|ate)\b.{0,40}\b(?:bleach|poison|detergent|pesticide|antifreeze|battery|batteries|pills|medicine|tablets|cleaner)\b/,
  /\btook (?:too many|a lot of|an entire|the whole|(?:\d+|twenty|thirty|fifty) )\w*\s*(?:pills|tablets|paracetamol|acetaminophen|tylenol)\b/,
  /\bpoison\w*\b/,
  /\bcarbon monoxide\b/,
  /中毒|误服|误食|服毒|喝了农药|吃了(?:一整瓶|很多|大量)(?:药|安眠药)|过量服用|吃多了药/,
];
const INFANT = [
  /\b(?:baby|infant|newborn|neonate)\b/,
  /\b(?:[0-9]|1[0-2]) ?(?:weeks?|wks?)[- ]old\b/,
  /\b[0-2] ?(?:months?|mos?)[- ]old\b/,
  /婴儿|新生儿|宝宝|[一二两三0-3]个月大?/,
];
const FEVER = [
  /\bfever\w*\b/,
  /\b(?:temperature|temp) of (?:3[89]|10[0-9])\b/,
  /\b3[89](?:\.\d)? ?°?c\b|\b10[0-9](?:\.\d)? ?°?f\b/,
  /\bfeels? hot\b/,
  /发烧|发热|高烧|体温/,
];
const SEIZURE = [
  /\bseizure\w*\b|\bconvuls\w*\b|\bfit(?:ting)?\b.{0,20}\b(?:shaking|unconscious)\b/,
  /\bunconscious\b|\bunresponsive\b|\bpassed out\b|\bwon'?t wake up\b/,
  /抽搐|抽风|癫痫发作|昏迷|叫不醒|失去意识|不省人事/,
];
const HEAD_INJURY = [
  /\b(?:hit|hurt|bang\w*|injur\w*) (?:my |his |her |their |the )?head\b|\bhead (?:injury|trauma)\b|\bconcussion\b/,
  /头部(?:受伤|撞击|外伤)|撞到头|摔到头/,
];
const HEAD_INJURY_SIGNS = [
  /\bvomit\w*\b/,
  /\b(?:confus\w*|drowsy|sleepy|unconscious|passed out|blacked out)\b/,
  /\bclear fluid\b|\bblood from (?:the )?(?:ear|nose)\b/,
  /\bworst headache\b|\bseizure\b/,
  /呕吐|意识模糊|嗜睡|昏迷|耳朵流血|鼻子流血/,
];
const MENINGITIS = [/\bstiff neck\b|\bneck (?:is )?stiff\b/, /脖子僵硬|颈部僵硬|颈项强直/];
const MENINGITIS_COMPANIONS = [
  /\bfever\w*\b/,
  /\brash\b.{0,30}\b(?:doesn'?t|does not|won'?t) fade\b|\bpurple rash\b/,
  /\b(?:light hurts|sensitiv\w* to light)\b/,
  /发烧|发热|皮疹|怕光/,
];
const PREGNANT = [/\bpregnan\w*\b|\b(?:weeks?|months?) pregnant\b/, /怀孕|孕期|孕妇|妊娠/];
const PREGNANCY_SIGNS = [
  /\bbleed\w*\b/,
  /\bsevere (?:abdominal|belly|stomach) pain\b/,
  /\bwater (?:has )?broke\b/,
  /\b(?:baby|fetus) (?:is )?(?:not|stopped) moving\b|\breduced (?:fetal )?movements?\b/,
  /出血|流血|剧烈腹痛|破水|胎动(?:减少|消失)/,
];

/** The rule set, in the order its reasons are reported. */
export const RED_FLAG_RULES: readonly RedFlagRule[] = [
  {
    id: 'cardiac-chest-pain',
    category: 'cardiac',
    level: 'emergency',
    description: 'chest pain with sweating, breathlessness, nausea or pain spreading to the arm, jaw, neck or back (possible heart attack)',
    allOf: [CHEST_PAIN, CARDIAC_COMPANIONS],
  },
  { id: 'cardiac-chest-pain-alone', category: 'cardiac', level: 'urgent', description: 'chest pain', allOf: [CHEST_PAIN] },
  {
    id: 'stroke-signs',
    category: 'stroke',
    level: 'emergency',
    description: 'signs of a stroke (face drooping, arm or leg weakness, slurred speech, sudden confusion or vision loss)',
    allOf: [STROKE],
  },
  {
    id: 'anaphylaxis',
    category: 'anaphylaxis',
    level: 'emergency',
    description:
      'an allergic reaction with swelling of the throat, tongue or lips, or trouble breathing or swallowing (possible anaphylaxis)',
    allOf: [ALLERGEN, AIRWAY_SWELLING],
  },
  {
    id: 'severe-breathing',
    category: 'breathing',
    level: 'emergency',
    description: 'severe difficulty breathing, choking or blue lips',
    allOf: [SEVERE_BREATHING],
  },
  {
    id: 'severe-bleeding',
    category: 'bleeding',
    level: 'emergency',
    description: 'severe bleeding, bleeding that will not stop, or vomiting or coughing up blood',
    allOf: [SEVERE_BLEEDING],
  },
  { id: 'suicidal-intent', category: 'suicide', level: 'emergency', description: 'thoughts of suicide or self-harm', allOf: [SUICIDE] },
  { id: 'poisoning', category: 'poisoning', level: 'emergency', description: 'poisoning or an overdose', allOf: [POISONING] },
  {
    id: 'infant-fever',
    category: 'infant-fever',
    level: 'emergency',
    description: 'fever in a baby under 3 months old',
    allOf: [INFANT, FEVER],
  },
  {
    id: 'seizure-unconscious',
    category: 'seizure',
    level: 'emergency',
    description: 'a seizure, or someone unconscious or unresponsive',
    allOf: [SEIZURE],
  },
  {
    id: 'head-injury',
    category: 'head-injury',
    level: 'emergency',
    description: 'a head injury with vomiting, confusion, drowsiness or loss of consciousness',
    allOf: [HEAD_INJURY, HEAD_INJURY_SIGNS],
  },
  {
    id: 'meningitis',
    category: 'meningitis',
    level: 'emergency',
    description: 'a stiff neck with fever, a rash that does not fade or sensitivity to light (possible meningitis)',
    allOf: [MENINGITIS, MENINGITIS_COMPANIONS],
  },
  {
    id: 'pregnancy-warning',
    category: 'pregnancy',
    level: 'urgent',
    description: 'bleeding, severe abdominal pain, waters breaking or reduced movements in pregnancy',
    allOf: [PREGNANT, PREGNANCY_SIGNS],
  },
];
