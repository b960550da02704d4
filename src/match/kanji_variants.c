/*-------------------------------------------------------------------------
 *
 * kanji_variants.c
 *	  The table of old and variant kanji that cdp.normalize_name folds to
 *	  their common form, and cdp.kanji_variants, the read-only view of it.
 *
 * NFKC maps CJK compatibility ideographs, but not the old (旧字体) and
 * variant (異体字) forms that are separate unified ideographs: 髙/高,
 * 邊/邉/辺, 齋/齊/斎, 澤/沢 ...  Those that are common in Japanese family
 * and given names are listed here.  The table is compiled into the library
 * so that cdp.normalize_name stays IMMUTABLE: changing it changes the
 * results of the function and therefore needs a new library version and a
 * REINDEX of expression indexes that use it (see the README).
 *
 * Each variant is in NFKC form (it survives NFKC_Casefold) and no common
 * form is itself a variant; the regression test match_kanji_variants
 * checks both through SQL.
 *
 * src/match/kanji_variants.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "match/normalize.h"

typedef struct KanjiVariant
{
	const char *variant;
	const char *standard;
} KanjiVariant;

/* variant, common form */
static const KanjiVariant kanji_variants[] =
{
	{"髙", "高"}, {"﨑", "崎"}, {"嵜", "崎"}, {"碕", "崎"}, {"邊", "辺"}, {"邉", "辺"},
	{"齋", "斎"}, {"齊", "斎"}, {"斉", "斎"}, {"澤", "沢"}, {"廣", "広"}, {"濱", "浜"},
	{"濵", "浜"}, {"櫻", "桜"}, {"關", "関"}, {"國", "国"}, {"圀", "国"}, {"嶋", "島"},
	{"嶌", "島"}, {"冨", "富"}, {"栁", "柳"}, {"桒", "桑"}, {"槇", "槙"}, {"曾", "曽"},
	{"埜", "野"}, {"舘", "館"}, {"龍", "竜"}, {"條", "条"}, {"實", "実"}, {"壽", "寿"},
	{"榮", "栄"}, {"藏", "蔵"}, {"瀧", "滝"}, {"瀨", "瀬"}, {"澁", "渋"}, {"穗", "穂"},
	{"稻", "稲"}, {"黑", "黒"}, {"峯", "峰"}, {"嶽", "岳"}, {"鐵", "鉄"}, {"銕", "鉄"},
	{"龜", "亀"}, {"學", "学"}, {"會", "会"}, {"圓", "円"}, {"萬", "万"}, {"與", "与"},
	{"寶", "宝"}, {"寳", "宝"}, {"兒", "児"}, {"戶", "戸"}, {"衞", "衛"}, {"晉", "晋"},
	{"顯", "顕"}, {"蘆", "芦"}, {"莊", "荘"}, {"樂", "楽"}, {"禮", "礼"}, {"豐", "豊"},
	{"來", "来"}, {"傳", "伝"}, {"佛", "仏"}, {"發", "発"}, {"檜", "桧"}, {"巖", "巌"},
	{"彌", "弥"}, {"爲", "為"}, {"營", "営"}, {"濟", "済"}, {"燈", "灯"}, {"獨", "独"},
	{"畫", "画"}, {"當", "当"}, {"硏", "研"}, {"禪", "禅"}, {"經", "経"}, {"繩", "縄"},
	{"聰", "聡"}, {"聽", "聴"}, {"舍", "舎"}, {"藝", "芸"}, {"覺", "覚"}, {"觀", "観"},
	{"證", "証"}, {"讀", "読"}, {"讓", "譲"}, {"豫", "予"}, {"賣", "売"}, {"輕", "軽"},
	{"轉", "転"}, {"遙", "遥"}, {"釋", "釈"}, {"鑛", "鉱"}, {"險", "険"}, {"隱", "隠"},
	{"隨", "随"}, {"雜", "雑"}, {"靈", "霊"}, {"顏", "顔"}, {"驗", "験"}, {"體", "体"},
	{"髮", "髪"}, {"鬪", "闘"}, {"麥", "麦"}, {"黃", "黄"}, {"點", "点"}, {"齒", "歯"},
	{"淺", "浅"}, {"增", "増"}, {"緖", "緒"}, {"淸", "清"}, {"靜", "静"}, {"鄕", "郷"},
	{"驛", "駅"}, {"凜", "凛"}, {"煕", "熙"}, {"熈", "熙"}, {"昻", "昂"}, {"𠮷", "吉"},
	{"邨", "村"}, {"彥", "彦"}, {"靑", "青"}, {"惠", "恵"}, {"德", "徳"}, {"眞", "真"},
	{"槗", "橋"}, {"𣘺", "橋"}, {"鐮", "鎌"}, {"穐", "秋"}, {"舩", "船"}, {"藥", "薬"},
	{"鹽", "塩"}, {"氣", "気"}, {"縣", "県"}, {"壹", "壱"}, {"勳", "勲"}, {"將", "将"},
	{"專", "専"}, {"恆", "恒"}, {"滿", "満"}, {"溪", "渓"}, {"絲", "糸"}, {"續", "続"},
	{"總", "総"}, {"艷", "艶"}, {"萊", "莱"}, {"變", "変"}, {"鎭", "鎮"}, {"鷗", "鴎"},
	{"劍", "剣"}, {"團", "団"}, {"圖", "図"}, {"帶", "帯"}, {"徑", "径"}, {"拜", "拝"},
	{"擧", "挙"}, {"曉", "暁"}, {"歲", "歳"}, {"步", "歩"}, {"涉", "渉"}, {"溫", "温"},
	{"瑤", "瑶"}, {"粹", "粋"}, {"羣", "群"}, {"臺", "台"}, {"萠", "萌"}, {"螢", "蛍"},
	{"賴", "頼"}, {"錢", "銭"},
};

#define N_VARIANTS lengthof(kanji_variants)

typedef struct VariantCode
{
	pg_wchar	variant;
	pg_wchar	standard;
} VariantCode;

static VariantCode variant_codes[N_VARIANTS];
static bool variants_ready = false;

/* one bit per BMP code point that is a variant: most lookups stop here */
static uint8 variant_bitmap[0x10000 / 8];
static pg_wchar variant_min_supplementary = 0x110000;

static int
variant_code_cmp(const void *a, const void *b)
{
	pg_wchar	x = ((const VariantCode *) a)->variant;
	pg_wchar	y = ((const VariantCode *) b)->variant;

	return (x > y) - (x < y);
}

static void
variants_init(void)
{
	int			i;

	for (i = 0; i < N_VARIANTS; i++)
	{
		pg_wchar	v = utf8_to_unicode((const unsigned char *) kanji_variants[i].variant);
		pg_wchar	s = utf8_to_unicode((const unsigned char *) kanji_variants[i].standard);

		variant_codes[i].variant = v;
		variant_codes[i].standard = s;
		if (v < 0x10000)
			variant_bitmap[v >> 3] |= (uint8) (1 << (v & 7));
		else if (v < variant_min_supplementary)
			variant_min_supplementary = v;
	}
	qsort(variant_codes, N_VARIANTS, sizeof(VariantCode), variant_code_cmp);
	variants_ready = true;
}

pg_wchar
cdp_kanji_standard(pg_wchar c)
{
	VariantCode key;
	VariantCode *found;

	if (!variants_ready)
		variants_init();
	if (c < 0x10000)
	{
		if (!(variant_bitmap[c >> 3] & (1 << (c & 7))))
			return c;
	}
	else if (c < variant_min_supplementary)
		return c;
	key.variant = c;
	found = bsearch(&key, variant_codes, N_VARIANTS, sizeof(VariantCode),
					variant_code_cmp);
	return found ? found->standard : c;
}

PG_FUNCTION_INFO_V1(cdp_kanji_variant_table);

/*
 * cdp.kanji_variant_table() returns the table as rows (variant, standard)
 * in the order of the source; the view cdp.kanji_variants selects from it.
 */
Datum
cdp_kanji_variant_table(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < N_VARIANTS; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(kanji_variants[i].variant);
		values[1] = CStringGetTextDatum(kanji_variants[i].standard);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
