/**
 * English function words and question scaffolding ("what", "how", "can") that carry no medical
 * meaning; dropping them keeps BM25 from walking huge posting lists for no gain.
 */
export const STOPWORDS: ReadonlySet<string> = new Set(
  `a about above after again against all am an and any are aren as at be because been before being below between both but
  by can cannot could did didn do does doesn doing don down during each few for from further had has have having he her
  here hers herself him himself his how i if in into is isn it its itself just let me more most my myself no nor not now of
  off on once only or other ought our ours ourselves out over own same she should so some such than that the their theirs
  them themselves then there these they this those through to too under until up very was wasn we were weren what when where
  which while who whom why will with won would you your yours yourself yourselves also may might must shall get got s t
  im ive id youre dont doesnt cant wont please hi hello dear doctor thanks thank`.split(/\s+/),
);
