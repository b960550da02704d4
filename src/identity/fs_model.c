/*-------------------------------------------------------------------------
 *
 * fs_model.c
 *	  Parse and check the definition of a probabilistic rule: comparisons,
 *	  their levels and m/u estimates, term frequencies, blocking rules and
 *	  the prior.  Every fault is an error 22023 that names the rule and the
 *	  key at fault.
 *
 * The README ("Probabilistic linking") documents the format.  Field
 * specifications name columns of cdp.source_records (birth_date is read as
 * YYYYMMDD digits, "attributes.KEY" reads a key of the attributes object);
 * only known names are accepted, so the SQL built from them is fixed text.
 *
 * src/identity/fs_model.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"

#include "identity/fs.h"

static const char *const text_columns[] = {
	"full_name", "family_name", "given_name", "family_name_kana",
	"given_name_kana", "name_romaji", "email", "phone", "postal_code",
	"country_code", "region", "locality", "address_line1", "address_line2",
	"source_record_key", NULL
};

static void bad_definition(const FsModel *model, const char *path,
						   const char *what) pg_attribute_noreturn();

static void
bad_definition(const FsModel *model, const char *path, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid definition of probabilistic rule \"%s\"",
					model->rule_name),
			 errdetail("Key %s %s.", path, what)));
}

/* FNV-1a, enough to tell values apart before comparing their bytes */
uint32
fs_hash_bytes(const char *s, int len)
{
	uint32		h = 2166136261u;

	for (int i = 0; i < len; i++)
		h = (h ^ (unsigned char) s[i]) * 16777619u;
	return h;
}

static JsonbValue *
get_key(JsonbContainer *obj, const char *key)
{
	return getKeyJsonValueFromContainer(obj, key, strlen(key), NULL);
}

static bool
is_object(JsonbValue *v)
{
	return v && v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

static bool
is_array(JsonbValue *v)
{
	return v && v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data);
}

static char *
get_string(JsonbValue *v)
{
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static double
get_number(JsonbValue *v)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											  NumericGetDatum(v->val.numeric)));
}

/* index of a column, added on first use; NULL name means not a column */
static int
column_index(FsModel *model, const char *name, const char *path)
{
	FsColumnKind kind = FS_COLUMN_TEXT;
	const char *colkey = NULL;

	for (int i = 0; i < model->ncolumns; i++)
		if (strcmp(model->columns[i].name, name) == 0)
			return i;
	for (int i = 0; text_columns[i]; i++)
		if (strcmp(text_columns[i], name) == 0)
			colkey = text_columns[i];
	if (strcmp(name, "birth_date") == 0)
	{
		kind = FS_COLUMN_DATE;
		colkey = "birth_date";
	}
	else if (strncmp(name, "attributes.", 11) == 0)
	{
		const char *key = name + 11;
		int			n = strlen(key);

		if (n < 1 || n > 63 || strspn(key, "abcdefghijklmnopqrstuvwxyz"
									  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n)
			bad_definition(model, path,
						   psprintf("names attribute \"%s\": attribute keys are 1 to 63 letters, digits or underscores", key));
		kind = FS_COLUMN_ATTRIBUTE;
		colkey = pstrdup(key);
	}
	if (colkey == NULL)
		bad_definition(model, path,
					   psprintf("names \"%s\", which is not a field of cdp.source_records (or \"attributes.KEY\")", name));
	if (model->ncolumns >= FS_MAX_COLUMNS)
		bad_definition(model, path, "uses too many fields");
	model->columns[model->ncolumns].name = pstrdup(name);
	model->columns[model->ncolumns].kind = kind;
	model->columns[model->ncolumns].key = colkey;
	return model->ncolumns++;
}

/* one alternative: a column name or an array of names joined with a space */
static void
parse_alternative(FsModel *model, FsField *f, JsonbValue *v, const char *path,
				  StringInfo canon)
{
	int			alt = f->nalts;

	if (alt >= FS_MAX_ALTERNATIVES)
		bad_definition(model, path, psprintf("has more than %d alternatives", FS_MAX_ALTERNATIVES));
	f->njoined[alt] = 0;
	if (v && v->type == jbvString)
	{
		char	   *name = get_string(v);

		f->columns[alt][f->njoined[alt]++] = column_index(model, name, path);
		appendStringInfo(canon, "%s;", name);
	}
	else if (is_array(v) && JsonContainerSize(v->val.binary.data) > 0)
	{
		JsonbContainer *arr = v->val.binary.data;
		int			n = JsonContainerSize(arr);

		if (n > FS_MAX_JOINED)
			bad_definition(model, path, psprintf("joins more than %d fields", FS_MAX_JOINED));
		for (int i = 0; i < n; i++)
		{
			JsonbValue *e = getIthJsonbValueFromContainer(arr, i);
			char	   *name;

			if (e == NULL || e->type != jbvString)
				bad_definition(model, path, "must list field names as strings");
			name = get_string(e);
			f->columns[alt][f->njoined[alt]++] = column_index(model, name, path);
			appendStringInfo(canon, "%s,", name);
		}
		appendStringInfoChar(canon, ';');
	}
	else
		bad_definition(model, path,
					   "must be a field name, an array of field names or {\"coalesce\": [...]}");
	f->nalts++;
}

/* a field specification, de-duplicated; returns its index */
static int
parse_field(FsModel *model, JsonbValue *v, const char *path)
{
	FsField		f;
	StringInfoData canon;

	memset(&f, 0, sizeof(f));
	initStringInfo(&canon);
	if (is_object(v))
	{
		JsonbValue *alts = get_key(v->val.binary.data, "coalesce");

		if (!is_array(alts) || JsonContainerSize(alts->val.binary.data) == 0 ||
			JsonContainerSize(v->val.binary.data) != 1)
			bad_definition(model, path, "must be {\"coalesce\": [field, ...]} with a non-empty array");
		for (int i = 0; i < (int) JsonContainerSize(alts->val.binary.data); i++)
			parse_alternative(model, &f, getIthJsonbValueFromContainer(alts->val.binary.data, i),
							  path, &canon);
	}
	else
		parse_alternative(model, &f, v, path, &canon);
	for (int i = 0; i < model->nfields; i++)
		if (strcmp(model->fields[i].text, canon.data) == 0)
			return i;
	if (model->nfields >= FS_MAX_SLOTS)
		bad_definition(model, path, "uses too many fields");
	f.text = canon.data;
	model->fields[model->nfields] = f;
	return model->nfields++;
}

static int
slot_index(FsModel *model, int field, FsRep rep, bool chars, const char *path)
{
	for (int i = 0; i < model->nslots; i++)
		if (model->slots[i].field == field && model->slots[i].rep == rep)
		{
			model->slots[i].chars |= chars;
			return i;
		}
	if (model->nslots >= FS_MAX_SLOTS)
		bad_definition(model, path, "makes the model compare too many values");
	model->slots[model->nslots].field = field;
	model->slots[model->nslots].rep = rep;
	model->slots[model->nslots].chars = chars;
	return model->nslots++;
}

static FsRep
parse_normalizer(FsModel *model, JsonbValue *v, const char *path)
{
	char	   *s;

	if (v == NULL)
		return FS_REP_NAME;
	if (v->type != jbvString)
		bad_definition(model, path, "must be one of \"name\", \"address\", \"phone\", \"digits\", \"romaji\", \"none\"");
	s = get_string(v);
	if (strcmp(s, "name") == 0)
		return FS_REP_NAME;
	if (strcmp(s, "address") == 0)
		return FS_REP_ADDRESS;
	if (strcmp(s, "phone") == 0)
		return FS_REP_PHONE;
	if (strcmp(s, "digits") == 0)
		return FS_REP_DIGITS;
	if (strcmp(s, "romaji") == 0)
		return FS_REP_ROMAJI_WORDS;
	if (strcmp(s, "none") == 0)
		return FS_REP_RAW;
	bad_definition(model, path, "must be one of \"name\", \"address\", \"phone\", \"digits\", \"romaji\", \"none\"");
}

/* optional probability in (0, 1]; NaN when absent */
static double
parse_probability(FsModel *model, JsonbContainer *obj, const char *key, const char *path)
{
	JsonbValue *v = get_key(obj, key);
	double		p;

	if (v == NULL)
		return get_float8_nan();

	if (v->type != jbvNumeric)
		bad_definition(model, psprintf("%s%s\"%s\"", path, *path ? "." : "", key), "must be a number");
	p = get_number(v);
	if (!(p > 0.0 && p <= 1.0))
		bad_definition(model, psprintf("%s%s\"%s\"", path, *path ? "." : "", key),
					   "must be a probability above 0 and at most 1");
	return p;
}

static void
parse_level(FsModel *model, FsComparison *cmp, JsonbValue *lv, JsonbValue *cmp_field,
			FsRep normalizer, const char *path)
{
	FsLevel    *level = &cmp->levels[cmp->nlevels];
	JsonbContainer *obj;
	JsonbValue *type;
	JsonbValue *field;
	JsonbValue *param;
	char	   *t;
	int			fieldno = -1;

	if (!is_object(lv))
		bad_definition(model, path, "must be an object");
	obj = lv->val.binary.data;
	type = get_key(obj, "type");
	if (type == NULL || type->type != jbvString)
		bad_definition(model, psprintf("%s.\"type\"", path), "is missing or not a string");
	t = get_string(type);
	field = get_key(obj, "field");
	if (field == NULL)
		field = cmp_field;
	if (get_key(obj, "normalizer") != NULL)
		normalizer = parse_normalizer(model, get_key(obj, "normalizer"),
									  psprintf("%s.\"normalizer\"", path));
	if (strcmp(t, "else") != 0)
	{
		if (field == NULL)
			bad_definition(model, psprintf("%s.\"field\"", path), "is missing (and the comparison names no field)");
		fieldno = parse_field(model, field, psprintf("%s.\"field\"", path));
	}
	level->slot = -1;
	level->param = 0;
	if (strcmp(t, "exact") == 0)
	{
		level->type = FS_LEVEL_EXACT;
		level->slot = slot_index(model, fieldno, FS_REP_RAW, false, path);
		level->label = pstrdup("exact");
	}
	else if (strcmp(t, "normalized") == 0 || strcmp(t, "normalised") == 0)
	{
		level->type = FS_LEVEL_NORMALIZED;
		level->slot = slot_index(model, fieldno, normalizer, false, path);
		level->label = pstrdup("normalized");
	}
	else if (strcmp(t, "jaro_winkler") == 0)
	{
		param = get_key(obj, "min");
		if (param == NULL || param->type != jbvNumeric ||
			!(get_number(param) > 0.0 && get_number(param) <= 1.0))
			bad_definition(model, psprintf("%s.\"min\"", path), "must be a number above 0 and at most 1");
		level->type = FS_LEVEL_JARO_WINKLER;
		level->param = get_number(param);
		level->slot = slot_index(model, fieldno, normalizer, true, path);
		level->label = psprintf("jaro_winkler >= %g", level->param);
	}
	else if (strcmp(t, "levenshtein") == 0)
	{
		param = get_key(obj, "max");
		if (param == NULL || param->type != jbvNumeric ||
			!(get_number(param) >= 0 && get_number(param) <= 100) ||
			get_number(param) != floor(get_number(param)))
			bad_definition(model, psprintf("%s.\"max\"", path), "must be an integer from 0 to 100");
		level->type = FS_LEVEL_LEVENSHTEIN;
		level->param = get_number(param);
		level->slot = slot_index(model, fieldno, normalizer, true, path);
		level->label = psprintf("levenshtein <= %d", (int) level->param);
	}
	else if (strcmp(t, "kana_key") == 0)
	{
		level->type = FS_LEVEL_KANA_KEY;
		level->slot = slot_index(model, fieldno, FS_REP_KANA, false, path);
		level->label = pstrdup("kana_key");
	}
	else if (strcmp(t, "romaji_key") == 0)
	{
		JsonbValue *any = get_key(obj, "any_order");
		bool		any_order = false;

		if (any != NULL && any->type != jbvBool)
			bad_definition(model, psprintf("%s.\"any_order\"", path), "must be true or false");
		if (any)
			any_order = any->val.boolean;
		level->type = FS_LEVEL_ROMAJI_KEY;
		level->slot = slot_index(model, fieldno, any_order ? FS_REP_ROMAJI_WORDS : FS_REP_ROMAJI,
								 false, path);
		level->label = pstrdup(any_order ? "romaji_key any order" : "romaji_key");
	}
	else if (strcmp(t, "date_near") == 0)
	{
		level->type = FS_LEVEL_DATE_NEAR;
		level->slot = slot_index(model, fieldno, FS_REP_DIGITS, false, path);
		level->label = pstrdup("date one digit off or day/month swapped");
	}
	else if (strcmp(t, "else") == 0)
	{
		level->type = FS_LEVEL_ELSE;
		level->label = pstrdup("else");
	}
	else
		bad_definition(model, psprintf("%s.\"type\"", path),
					   psprintf("is \"%s\", not one of exact, normalized, jaro_winkler, levenshtein, kana_key, romaji_key, date_near, else", t));
	level->m = parse_probability(model, obj, "m", path);
	level->u = parse_probability(model, obj, "u", path);
	level->weight = log2(level->m / level->u);
	cmp->nlevels++;
}

static int
cmp_tf_hash(const void *a, const void *b)
{
	uint32		x = ((const FsTfEntry *) a)->hash;
	uint32		y = ((const FsTfEntry *) b)->hash;

	return (x > y) - (x < y);
}

static void
parse_tf(FsModel *model, FsComparison *cmp, JsonbValue *tf, const char *path)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0;

	if (!is_object(tf))
		bad_definition(model, path, "must be an object of value: frequency");
	cmp->tf = palloc(sizeof(FsTfEntry) * Max(1, JsonContainerSize(tf->val.binary.data)));
	it = JsonbIteratorInit(tf->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			cmp->tf[n].value = get_string(&v);
			cmp->tf[n].hash = fs_hash_bytes(v.val.string.val, v.val.string.len);
		}
		else if (tok == WJB_VALUE)
		{
			if (v.type != jbvNumeric || !(get_number(&v) > 0 && get_number(&v) <= 1))
				bad_definition(model, path, "must map each value to a frequency above 0 and at most 1");
			cmp->tf[n++].freq = get_number(&v);
		}
	}
	cmp->ntf = n;
	qsort(cmp->tf, n, sizeof(FsTfEntry), cmp_tf_hash);
}

static void
parse_comparison(FsModel *model, JsonbValue *cv, int index)
{
	FsComparison *cmp = &model->comparisons[index];
	char	   *path = psprintf("\"comparisons\"[%d]", index);
	JsonbContainer *obj;
	JsonbValue *field;
	JsonbValue *levels;
	JsonbValue *v;
	FsRep		normalizer;
	int			n;

	if (!is_object(cv))
		bad_definition(model, path, "must be an object");
	obj = cv->val.binary.data;
	field = get_key(obj, "field");
	v = get_key(obj, "name");
	if (v != NULL && v->type != jbvString)
		bad_definition(model, psprintf("%s.\"name\"", path), "must be a string");
	if (v != NULL)
		cmp->name = get_string(v);
	else if (field != NULL && field->type == jbvString)
		cmp->name = get_string(field);
	else
		bad_definition(model, psprintf("%s.\"name\"", path), "is missing (needed unless \"field\" is one field name)");
	normalizer = parse_normalizer(model, get_key(obj, "normalizer"),
								  psprintf("%s.\"normalizer\"", path));
	v = get_key(obj, "tf_adjust");
	if (v != NULL && v->type != jbvBool)
		bad_definition(model, psprintf("%s.\"tf_adjust\"", path), "must be true or false");
	cmp->tf_adjust = v ? v->val.boolean : false;
	levels = get_key(obj, "levels");
	if (!is_array(levels) || JsonContainerSize(levels->val.binary.data) == 0)
		bad_definition(model, psprintf("%s.\"levels\"", path), "must be a non-empty array");
	n = JsonContainerSize(levels->val.binary.data);
	if (n > FS_MAX_LEVELS - 1)
		bad_definition(model, psprintf("%s.\"levels\"", path),
					   psprintf("has more than %d levels", FS_MAX_LEVELS - 1));
	cmp->nlevels = 0;
	for (int i = 0; i < n; i++)
	{
		char	   *lpath = psprintf("%s.\"levels\"[%d]", path, i);

		parse_level(model, cmp, getIthJsonbValueFromContainer(levels->val.binary.data, i),
					field, normalizer, lpath);
		if (cmp->levels[i].type == FS_LEVEL_ELSE && i != n - 1)
			bad_definition(model, lpath, "is an \"else\" level before the last level");
	}
	if (cmp->levels[0].type == FS_LEVEL_ELSE)
		bad_definition(model, psprintf("%s.\"levels\"", path), "has no level before \"else\"");
	if (cmp->levels[cmp->nlevels - 1].type != FS_LEVEL_ELSE)
	{
		FsLevel    *e = &cmp->levels[cmp->nlevels++];

		e->type = FS_LEVEL_ELSE;
		e->slot = -1;
		e->label = pstrdup("else");
		e->m = e->u = e->weight = get_float8_nan();
	}
	v = get_key(obj, "tf");
	if (v != NULL)
		parse_tf(model, cmp, v, psprintf("%s.\"tf\"", path));
	v = get_key(obj, "unless");
	if (v != NULL)
	{
		int			nu;

		if (!is_array(v))
			bad_definition(model, psprintf("%s.\"unless\"", path), "must be an array of names of earlier comparisons");
		nu = JsonContainerSize(v->val.binary.data);
		for (int i = 0; i < nu; i++)
		{
			JsonbValue *e = getIthJsonbValueFromContainer(v->val.binary.data, i);
			int			found = -1;

			if (e == NULL || e->type != jbvString)
				bad_definition(model, psprintf("%s.\"unless\"", path), "must be an array of names of earlier comparisons");
			for (int c = 0; c < index; c++)
				if (strlen(model->comparisons[c].name) == e->val.string.len &&
					memcmp(model->comparisons[c].name, e->val.string.val, e->val.string.len) == 0)
					found = c;
			if (found < 0)
				bad_definition(model, psprintf("%s.\"unless\"[%d]", path, i),
							   psprintf("names \"%s\", which is not an earlier comparison", get_string(e)));
			cmp->unless[cmp->nunless++] = found;
		}
	}
}

static const struct
{
	const char *name;
	FsRep		rep;
}			key_functions[] = {
	{"normalize_name", FS_REP_NAME}, {"normalize_address", FS_REP_ADDRESS},
	{"normalize_phone", FS_REP_PHONE}, {"digits", FS_REP_DIGITS},
	{"kana_key", FS_REP_KANA}, {"romaji_key", FS_REP_ROMAJI},
	{"romaji_words", FS_REP_ROMAJI_WORDS}, {NULL, 0}
};

/* the representation a blocking-key function names; false if none */
bool
fs_key_function(const char *name, FsRep *rep)
{
	for (int i = 0; key_functions[i].name; i++)
		if (strcmp(key_functions[i].name, name) == 0)
		{
			*rep = key_functions[i].rep;
			return true;
		}
	return false;
}

/* the name of a blocking-key function */
const char *
fs_key_function_name(FsRep rep)
{
	for (int i = 0; key_functions[i].name; i++)
		if (key_functions[i].rep == rep)
			return key_functions[i].name;
	return NULL;
}

/* a blocking key: "field" or "function(field)" */
static int
parse_key(FsModel *model, JsonbValue *kv, const char *path)
{
	char	   *s;
	char	   *open;
	FsRep		rep = FS_REP_RAW;
	JsonbValue	fv;

	if (kv == NULL || kv->type != jbvString)
		bad_definition(model, path, "must be a field name or \"function(field)\"");
	s = get_string(kv);
	open = strchr(s, '(');
	if (open != NULL)
	{
		int			len = strlen(s);
		bool		known = false;

		if (s[len - 1] != ')')
			bad_definition(model, path, psprintf("\"%s\" must end with \")\"", s));
		*open = '\0';
		s[len - 1] = '\0';
		known = fs_key_function(s, &rep);
		if (!known)
			bad_definition(model, path,
						   psprintf("uses function \"%s\", not one of normalize_name, normalize_address, normalize_phone, digits, kana_key, romaji_key, romaji_words", s));
		s = open + 1;
	}
	fv.type = jbvString;
	fv.val.string.val = s;
	fv.val.string.len = strlen(s);
	return slot_index(model, parse_field(model, &fv, path), rep, false, path);
}

static int
parse_blocking(FsModel *model, JsonbValue *bv, const char *key, FsBlocking *rules)
{
	int			n;
	char	   *kpath = psprintf("\"%s\"", key);

	if (!is_array(bv) || JsonContainerSize(bv->val.binary.data) == 0)
		bad_definition(model, kpath, "must be a non-empty array of arrays of keys");
	n = JsonContainerSize(bv->val.binary.data);
	if (n > FS_MAX_BLOCKING)
		bad_definition(model, kpath, psprintf("has more than %d rules", FS_MAX_BLOCKING));
	for (int i = 0; i < n; i++)
	{
		JsonbValue *rule = getIthJsonbValueFromContainer(bv->val.binary.data, i);
		FsBlocking *b = &rules[i];
		char	   *path = psprintf("%s[%d]", kpath, i);
		StringInfoData text;
		int			nkeys;

		if (!is_array(rule) || JsonContainerSize(rule->val.binary.data) == 0 ||
			JsonContainerSize(rule->val.binary.data) > FS_MAX_KEYS)
			bad_definition(model, path, psprintf("must be an array of 1 to %d keys", FS_MAX_KEYS));
		nkeys = JsonContainerSize(rule->val.binary.data);
		initStringInfo(&text);
		for (int k = 0; k < nkeys; k++)
		{
			JsonbValue *kv = getIthJsonbValueFromContainer(rule->val.binary.data, k);

			b->slots[k] = parse_key(model, kv, psprintf("%s[%d]", path, k));
			appendStringInfo(&text, "%s%.*s", k ? ", " : "", kv->val.string.len, kv->val.string.val);
		}
		b->nkeys = nkeys;
		b->text = text.data;
	}
	return n;
}

/*
 * Parse definition into model.  With require_trained, every level must carry
 * m and u and the definition a prior: scoring needs them.
 */
/* whether a comparison calls a similarity kernel (the costly ones) */
static bool
uses_kernel(const FsComparison *cmp)
{
	for (int l = 0; l < cmp->nlevels; l++)
		if (cmp->levels[l].type == FS_LEVEL_JARO_WINKLER ||
			cmp->levels[l].type == FS_LEVEL_LEVENSHTEIN)
			return true;
	return false;
}

/*
 * The order scoring evaluates comparisons in: those without a similarity
 * kernel first, so that a pair that cannot reach the threshold is told
 * apart before its names are compared; a comparison with "unless" after
 * the comparisons it names.  Otherwise in the model's order.  Also which
 * comparisons each one rules out when present.
 */
static void
set_eval_order(FsModel *model)
{
	bool		placed[FS_MAX_COMPARISONS] = {false};
	int			n = 0;

	StaticAssertStmt(FS_MAX_COMPARISONS <= 32, "skipped_when_present holds one bit a comparison");
	memset(model->skipped_when_present, 0, sizeof(model->skipped_when_present));
	for (int u = 0; u < model->ncomparisons; u++)
		for (int d = 0; d < model->comparisons[u].nunless; d++)
			model->skipped_when_present[model->comparisons[u].unless[d]] |= (uint32) 1 << u;
	while (n < model->ncomparisons)
	{
		int			pick = -1;

		for (int pass = 0; pass < 2 && pick < 0; pass++)
			for (int c = 0; c < model->ncomparisons && pick < 0; c++)
			{
				const FsComparison *cmp = &model->comparisons[c];
				bool		ready = !placed[c] && uses_kernel(cmp) == (pass == 1);

				for (int d = 0; d < cmp->nunless && ready; d++)
					ready = placed[cmp->unless[d]];
				if (ready)
					pick = c;
			}
		for (int c = 0; c < model->ncomparisons && pick < 0; c++)
			if (!placed[c])
				pick = c;
		placed[pick] = true;
		model->eval_order[n++] = pick;
	}
}

void
fs_parse_model(FsModel *model, const char *rule_name, Jsonb *definition,
			   bool require_trained)
{
	JsonbContainer *root = &definition->root;
	JsonbValue *v;
	int			n;

	memset(model, 0, sizeof(FsModel));
	model->rule_name = rule_name;
	if (!JsonContainerIsObject(root))
		bad_definition(model, "(the definition)", "must be an object");
	v = get_key(root, "comparisons");
	if (!is_array(v) || JsonContainerSize(v->val.binary.data) == 0)
		bad_definition(model, "\"comparisons\"", "must be a non-empty array");
	n = JsonContainerSize(v->val.binary.data);
	if (n > FS_MAX_COMPARISONS)
		bad_definition(model, "\"comparisons\"", psprintf("has more than %d comparisons", FS_MAX_COMPARISONS));
	for (int i = 0; i < n; i++)
		parse_comparison(model, getIthJsonbValueFromContainer(v->val.binary.data, i), i);
	model->ncomparisons = n;
	model->nblocking = parse_blocking(model, get_key(root, "blocking"), "blocking",
									  model->blocking);
	v = get_key(root, "training_blocking");
	if (v != NULL)
		model->ntraining = parse_blocking(model, v, "training_blocking", model->training);
	else
	{
		model->ntraining = model->nblocking;
		memcpy(model->training, model->blocking, sizeof(model->blocking));
	}

	model->max_block_size = 2000;
	v = get_key(root, "max_block_size");
	if (v != NULL)
	{
		if (v->type != jbvNumeric || get_number(v) < 2 || get_number(v) > 1000000 ||
			get_number(v) != floor(get_number(v)))
			bad_definition(model, "\"max_block_size\"", "must be an integer from 2 to 1000000");
		model->max_block_size = (int) get_number(v);
	}

	model->prior = parse_probability(model, root, "prior", "");
	if (!isnan(model->prior) && model->prior >= 1.0)
		bad_definition(model, "\"prior\"", "must be below 1");
	model->prior_weight = log2(model->prior / (1.0 - model->prior));
	model->trained = !isnan(model->prior);
	for (int c = 0; c < model->ncomparisons; c++)
		for (int l = 0; l < model->comparisons[c].nlevels; l++)
		{
			FsLevel    *level = &model->comparisons[c].levels[l];

			if (isnan(level->m) != isnan(level->u))
				bad_definition(model, psprintf("\"comparisons\"[%d].\"levels\"[%d]", c, l),
							   "must give both \"m\" and \"u\" or neither");
			if (isnan(level->m))
				model->trained = false;
		}
	if (model->trained)
	{
		model->rest_max[model->ncomparisons] = 0;
		for (int c = model->ncomparisons - 1; c >= 0; c--)
		{
			double		best = 0;	/* a NULL comparison weighs 0 */

			for (int l = 0; l < model->comparisons[c].nlevels; l++)
				best = Max(best, model->comparisons[c].levels[l].weight);
			model->max_weight[c] = best;
			model->rest_max[c] = model->rest_max[c + 1] + best;
		}
	}
	set_eval_order(model);
	if (require_trained && !model->trained)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("probabilistic rule \"%s\" is not trained", rule_name),
				 errdetail("Every level needs \"m\" and \"u\" and the definition a \"prior\"."),
				 errhint("Run cdp.train_probabilistic_rule('%s').", rule_name)));
}
