/*-------------------------------------------------------------------------
 *
 * fs.h
 *	  Probabilistic (Fellegi-Sunter) record linkage: the model a
 *	  probabilistic rule's definition describes, the per-record comparison
 *	  features, blocking, estimation, scoring and explanation.
 *
 * A model is parsed from the rule's definition jsonb (fs_model.c) into
 * comparisons, each a list of levels tried in order, and blocking rules.
 * Every value a level or a blocking key looks at is a "slot": a field
 * specification (which columns of cdp.source_records) under one
 * representation (as written, normalised, kana key, ...).  Records are
 * loaded once (fs_records.c) and each slot is computed once per record into
 * an arena, so comparing a pair allocates nothing (fs_compare.c).  Blocking
 * (fs_block.c) groups records by key hash and enumerates each pair once.
 *
 * src/identity/fs.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CDP_IDENTITY_FS_H
#define CDP_IDENTITY_FS_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#define FS_MAX_COMPARISONS 32
#define FS_MAX_LEVELS 12
#define FS_MAX_BLOCKING 16
#define FS_MAX_KEYS 4
#define FS_MAX_COLUMNS 32
#define FS_MAX_SLOTS 64
#define FS_MAX_ALTERNATIVES 4
#define FS_MAX_JOINED 4

/* how a level compares two values */
typedef enum FsLevelType
{
	FS_LEVEL_EXACT,				/* trimmed values equal */
	FS_LEVEL_NORMALIZED,		/* equal under the comparison's normaliser */
	FS_LEVEL_JARO_WINKLER,		/* Jaro-Winkler of normalised values >= min */
	FS_LEVEL_LEVENSHTEIN,		/* Levenshtein of normalised values <= max */
	FS_LEVEL_KANA_KEY,			/* cdp.kana_key equal */
	FS_LEVEL_ROMAJI_KEY,		/* cdp.romaji_key equal (any_order: per word, sorted) */
	FS_LEVEL_DATE_NEAR,			/* digits: one digit off or day and month swapped */
	FS_LEVEL_ELSE				/* anything else (both values present) */
} FsLevelType;

/* the form a slot holds a value in */
typedef enum FsRep
{
	FS_REP_RAW,					/* trimmed text */
	FS_REP_NAME,				/* cdp.normalize_name */
	FS_REP_ADDRESS,				/* cdp.normalize_address then normalize_name */
	FS_REP_PHONE,				/* E.164 (region JP), else the digits */
	FS_REP_DIGITS,				/* the digits only */
	FS_REP_KANA,				/* cdp.kana_key */
	FS_REP_ROMAJI,				/* cdp.romaji_key */
	FS_REP_ROMAJI_WORDS			/* romaji_key of each word, sorted, joined */
} FsRep;

/* a column of cdp.source_records the model reads, as SQL text */
typedef enum FsColumnKind
{
	FS_COLUMN_TEXT,				/* a text column of cdp.source_records */
	FS_COLUMN_DATE,				/* birth_date, read as YYYYMMDD */
	FS_COLUMN_ATTRIBUTE			/* attributes ->> key */
} FsColumnKind;

typedef struct FsColumn
{
	char	   *name;			/* as the definition names it */
	FsColumnKind kind;
	const char *key;			/* column name or attribute key */
} FsColumn;

/* a field specification: first alternative whose columns are not all NULL */
typedef struct FsField
{
	int			nalts;
	int			njoined[FS_MAX_ALTERNATIVES];
	int			columns[FS_MAX_ALTERNATIVES][FS_MAX_JOINED];	/* FsColumn index */
	char	   *text;			/* canonical form, for de-duplication */
} FsField;

typedef struct FsSlot
{
	int			field;			/* FsField index */
	FsRep		rep;
	bool		chars;			/* also keep the code points (similarity) */
} FsSlot;

typedef struct FsLevel
{
	FsLevelType type;
	int			slot;
	double		param;			/* min similarity or max distance */
	char	   *label;			/* e.g. "jaro_winkler >= 0.92" */
	double		m;				/* NaN until trained */
	double		u;
	double		weight;			/* log2(m / u) */
} FsLevel;

typedef struct FsTfEntry
{
	uint32		hash;
	char	   *value;
	double		freq;
} FsTfEntry;

typedef struct FsComparison
{
	char	   *name;
	int			nlevels;		/* the last one is always ELSE */
	FsLevel		levels[FS_MAX_LEVELS];
	bool		tf_adjust;
	int			nunless;		/* compared only when these are all NULL */
	int			unless[FS_MAX_COMPARISONS];
	int			ntf;
	FsTfEntry  *tf;				/* common values of level 0 and their frequency */
} FsComparison;

typedef struct FsBlocking
{
	int			nkeys;
	int			slots[FS_MAX_KEYS];
	char	   *text;
} FsBlocking;

typedef struct FsModel
{
	const char *rule_name;
	int			ncolumns;
	FsColumn	columns[FS_MAX_COLUMNS];
	int			nfields;
	FsField		fields[FS_MAX_SLOTS];
	int			nslots;
	FsSlot		slots[FS_MAX_SLOTS];
	int			ncomparisons;
	FsComparison comparisons[FS_MAX_COMPARISONS];
	int			nblocking;
	FsBlocking	blocking[FS_MAX_BLOCKING];
	int			ntraining;		/* blocking rules of the EM sessions */
	FsBlocking	training[FS_MAX_BLOCKING];
	int			max_block_size;
	bool		trained;
	double		prior;			/* probability that a random pair matches */
	double		prior_weight;	/* log2(prior / (1 - prior)) */
	double		rest_max[FS_MAX_COMPARISONS + 1];	/* most comparisons c.. can add */
	double		max_weight[FS_MAX_COMPARISONS]; /* most comparison c can add (>= 0) */
	/* scoring order: comparisons without similarity kernels first */
	int			eval_order[FS_MAX_COMPARISONS];
	/* per comparison, the comparisons whose "unless" names it (bit u) */
	uint32		skipped_when_present[FS_MAX_COMPARISONS];
} FsModel;

/* one computed slot value of one record; len < 0 means NULL */
typedef struct FsValue
{
	uint32		off;			/* bytes in the arena */
	uint32		choff;			/* code points in the char arena */
	uint32		hash;
	int16		len;
	int16		nchars;
} FsValue;

typedef struct FsRecords
{
	int			nrecords;
	int			nslots;
	int64	   *ids;			/* record_id of each record */
	bool	   *focus;			/* pairs must involve a focus record (NULL: all) */
	FsValue    *values;			/* nrecords * nslots */
	char	   *arena;
	Size		arena_used;
	Size		arena_size;
	pg_wchar   *chars;
	Size		chars_used;
	Size		chars_size;
} FsRecords;

static inline FsValue *
fs_value(const FsRecords *recs, int rec, int slot)
{
	return &recs->values[(Size) rec * recs->nslots + slot];
}

/* fs_model.c */
extern void fs_parse_model(FsModel *model, const char *rule_name, Jsonb *definition,
						   bool require_trained);
extern uint32 fs_hash_bytes(const char *s, int len);
extern bool fs_key_function(const char *name, FsRep *rep);
extern const char *fs_key_function_name(FsRep rep);

/* fs_records.c */
extern FsRecords *fs_load_records(const FsModel *model, ArrayType *record_ids,
								  bool candidates, bool ordered);
extern char *fs_key_sql(const FsModel *model, int slot, const char *alias);
extern void fs_transform(FsRep rep, const char *s, int len, StringInfo scratch,
						 StringInfo out);
extern void fs_compute_slot(const FsModel *model, int slot, text **colvals,
							StringInfo joined, StringInfo scratch, StringInfo out);

/* fs_compare.c */
extern int	fs_compare_level(const FsModel *model, const FsComparison *cmp,
							 const FsRecords *recs, int a, int b);
extern double fs_level_weight(const FsComparison *cmp, int level,
							  const FsRecords *recs, int a);
extern void fs_pair_levels(const FsModel *model, const FsRecords *recs,
						   int a, int b, int *levels);
extern double fs_pair_weight(const FsModel *model, const FsRecords *recs,
							 int a, int b, int *levels);
extern double fs_pair_weight_bounded(const FsModel *model, const FsRecords *recs,
									 int a, int b, double threshold);

/* fs_score.c */
extern double fs_check_threshold(const char *rule_name, bool isnull, double t);

/* fs_block.c */
typedef bool (*FsPairCallback) (int a, int b, void *arg);
extern void fs_blocked_pairs(const FsModel *model, const FsRecords *recs,
							 FsPairCallback callback, void *arg);
extern void fs_rule_pairs(const FsModel *model, const FsBlocking *rules, int nrules,
						  const FsRecords *recs, FsPairCallback callback, void *arg);

#endif							/* CDP_IDENTITY_FS_H */
