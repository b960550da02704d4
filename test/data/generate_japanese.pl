#!/usr/bin/env perl
# generate_japanese.pl: synthetic Japanese customer records with ground truth,
# for measuring identity resolution.
#
#   perl test/data/generate_japanese.pl [--persons N] [--seed S] [--pool small|large] > records.tsv
#
# Prints tab-separated rows (NULL as \N, COPY text format) with the columns
#   person source family_name given_name family_name_kana given_name_kana
#   name_romaji email phone birth_date postal_code region locality address_line1
#   household
# where person is the true identity and household numbers the people who
# share a home (and a landline).  Each person gets 1 to 4 records from
# sources that write names, phones and addresses differently:
#   crm   kanji and full-width katakana readings, address, birth date
#   shop  kanji, hiragana readings, romaji, e-mail, address, postal code
#   pos   half-width katakana readings only, phone
#   web   romaji only (either order, any case), e-mail, phone
# Variation (see the README, "Probabilistic linking"): old/variant kanji
# (髙/高, 﨑/崎, 邊/邉/辺, 齋/斎, 澤/沢, 濱/浜, 廣/広, 櫻/桜, 嶋/島), homophone
# kanji in given names (裕子/優子), long-vowel romaji spellings
# (Satou/Sato/Satoh, Oota/Ota/Ohta), name order and case in romaji, phone
# formats (090-1234-5678, 09012345678, +81 90-..., full-width digits,
# brackets), address formats (2丁目8番1号, 2-8-1, 二丁目8-1, full-width
# digits, prefecture left out), postal codes with and without hyphen or 〒,
# e-mail case, typos in kana and romaji, birth dates with one digit off or
# day and month swapped, missing values; households (family name, address
# and landline shared, different given names and birth dates: different
# people) and namesakes (same kanji and kana name, different birth date and
# address: different people).  Deterministic for a given seed.
use strict;
use warnings;
use utf8;
use Getopt::Long;
use Unicode::Normalize qw(NFD);

my $persons = 2000;
my $seed = 1;
my $pool = 'small';
GetOptions('persons=i' => \$persons, 'seed=i' => \$seed, 'pool=s' => \$pool) or die "bad options\n";
die "--pool is small or large\n" unless $pool eq 'small' || $pool eq 'large';
srand($seed);
binmode STDOUT, ':encoding(UTF-8)';

# family names: kanji, katakana, romaji with vowel length written out
my @family = map { [ split / / ] } (
	'佐藤 サトウ Satou', '鈴木 スズキ Suzuki', '高橋 タカハシ Takahashi', '田中 タナカ Tanaka',
	'伊藤 イトウ Itou', '渡辺 ワタナベ Watanabe', '山本 ヤマモト Yamamoto', '中村 ナカムラ Nakamura',
	'小林 コバヤシ Kobayashi', '加藤 カトウ Katou', '吉田 ヨシダ Yoshida', '山田 ヤマダ Yamada',
	'佐々木 ササキ Sasaki', '山口 ヤマグチ Yamaguchi', '斎藤 サイトウ Saitou', '松本 マツモト Matsumoto',
	'井上 イノウエ Inoue', '木村 キムラ Kimura', '林 ハヤシ Hayashi', '清水 シミズ Shimizu',
	'山崎 ヤマザキ Yamazaki', '森 モリ Mori', '阿部 アベ Abe', '池田 イケダ Ikeda', '橋本 ハシモト Hashimoto',
	'山下 ヤマシタ Yamashita', '石川 イシカワ Ishikawa', '中島 ナカジマ Nakajima', '前田 マエダ Maeda',
	'藤田 フジタ Fujita', '小川 オガワ Ogawa', '後藤 ゴトウ Gotou', '岡田 オカダ Okada',
	'長谷川 ハセガワ Hasegawa', '村上 ムラカミ Murakami', '近藤 コンドウ Kondou', '石井 イシイ Ishii',
	'坂本 サカモト Sakamoto', '遠藤 エンドウ Endou', '青木 アオキ Aoki', '藤井 フジイ Fujii',
	'西村 ニシムラ Nishimura', '福田 フクダ Fukuda', '太田 オオタ Oota', '三浦 ミウラ Miura',
	'藤原 フジワラ Fujiwara', '岡本 オカモト Okamoto', '松田 マツダ Matsuda', '中川 ナカガワ Nakagawa',
	'中野 ナカノ Nakano', '原田 ハラダ Harada', '小野 オノ Ono', '田村 タムラ Tamura', '竹内 タケウチ Takeuchi',
	'金子 カネコ Kaneko', '和田 ワダ Wada', '中山 ナカヤマ Nakayama', '石田 イシダ Ishida', '上田 ウエダ Ueda',
	'森田 モリタ Morita', '柴田 シバタ Shibata', '酒井 サカイ Sakai', '工藤 クドウ Kudou',
	'横山 ヨコヤマ Yokoyama', '宮崎 ミヤザキ Miyazaki', '宮本 ミヤモト Miyamoto', '内田 ウチダ Uchida',
	'高木 タカギ Takagi', '安藤 アンドウ Andou', '島田 シマダ Shimada', '谷口 タニグチ Taniguchi',
	'大野 オオノ Oono', '高田 タカダ Takada', '丸山 マルヤマ Maruyama', '今井 イマイ Imai', '河野 コウノ Kouno',
	'藤本 フジモト Fujimoto', '村田 ムラタ Murata', '武田 タケダ Takeda', '上野 ウエノ Ueno',
	'杉山 スギヤマ Sugiyama', '増田 マスダ Masuda', '平野 ヒラノ Hirano', '大塚 オオツカ Ootsuka',
	'千葉 チバ Chiba', '久保 クボ Kubo', '松井 マツイ Matsui', '小島 コジマ Kojima', '岩崎 イワサキ Iwasaki',
	'桜井 サクライ Sakurai', '野口 ノグチ Noguchi', '松尾 マツオ Matsuo', '野村 ノムラ Nomura',
	'木下 キノシタ Kinoshita', '菊地 キクチ Kikuchi', '佐野 サノ Sano', '大西 オオニシ Oonishi',
	'杉本 スギモト Sugimoto', '新井 アライ Arai', '浜田 ハマダ Hamada', '菅原 スガワラ Sugawara',
	'市川 イチカワ Ichikawa', '水野 ミズノ Mizuno', '広瀬 ヒロセ Hirose', '沢田 サワダ Sawada',
	'渡部 ワタナベ Watanabe', '辺見 ヘンミ Henmi', '斉藤 サイトウ Saitou', '島崎 シマザキ Shimazaki');

# given names: kanji, katakana, romaji; homophones share a reading
my @given = map { [ split / / ] } (
	'太郎 タロウ Tarou', '一郎 イチロウ Ichirou', '健太 ケンタ Kenta', '翔太 ショウタ Shouta',
	'大輔 ダイスケ Daisuke', '拓也 タクヤ Takuya', '直樹 ナオキ Naoki', '誠 マコト Makoto',
	'浩二 コウジ Kouji', '修 オサム Osamu', '隆 タカシ Takashi', '健一 ケンイチ Ken\'ichi',
	'大樹 ダイキ Daiki', '蓮 レン Ren', '悠真 ユウマ Yuuma', '陽翔 ハルト Haruto', '翼 ツバサ Tsubasa',
	'亮 リョウ Ryou', '和也 カズヤ Kazuya', '達也 タツヤ Tatsuya', '剛 ツヨシ Tsuyoshi',
	'博 ヒロシ Hiroshi', '進 ススム Susumu', '聡 サトシ Satoshi', '純一 ジュンイチ Jun\'ichi',
	'裕太 ユウタ Yuuta', '雄一 ユウイチ Yuuichi', '賢一 ケンイチ Ken\'ichi', '洋平 ヨウヘイ Youhei',
	'花子 ハナコ Hanako', '陽子 ヨウコ Youko', '洋子 ヨウコ Youko', '恵子 ケイコ Keiko', '裕子 ユウコ Yuuko',
	'優子 ユウコ Yuuko', '美咲 ミサキ Misaki', 'さくら サクラ Sakura', '愛 アイ Ai', '結衣 ユイ Yui',
	'葵 アオイ Aoi', '陽菜 ヒナ Hina', '真由美 マユミ Mayumi', '久美子 クミコ Kumiko', '直美 ナオミ Naomi',
	'智子 トモコ Tomoko', '由美 ユミ Yumi', '明美 アケミ Akemi', '舞 マイ Mai', '麻衣 マイ Mai', '彩 アヤ Aya',
	'千尋 チヒロ Chihiro', '恵美 エミ Emi', '沙織 サオリ Saori', '奈々 ナナ Nana', '美穂 ミホ Miho',
	'香織 カオリ Kaori', '瞳 ヒトミ Hitomi', '綾香 アヤカ Ayaka', '涼子 リョウコ Ryouko', '翔子 ショウコ Shouko');

# old or variant forms that records write instead of the common kanji
my %variant = ('高' => ['髙'], '崎' => ['﨑', '嵜'], '辺' => ['邊', '邉'], '斎' => ['齋', '齊'],
	'沢' => ['澤'], '浜' => ['濱'], '広' => ['廣'], '桜' => ['櫻'], '島' => ['嶋']);

# towns: prefecture, city or ward, town, postal code
my @towns = map { [ split / / ] } (
	'東京都 新宿区 西新宿 160-0023', '東京都 新宿区 高田馬場 169-0075', '東京都 世田谷区 三軒茶屋 154-0024',
	'東京都 世田谷区 桜新町 154-0015', '東京都 品川区 大崎 141-0032', '東京都 練馬区 石神井町 177-0041',
	'東京都 杉並区 阿佐谷南 166-0004', '東京都 八王子市 旭町 192-0083', '神奈川県 横浜市西区 高島 220-0011',
	'神奈川県 川崎市中原区 小杉町 211-0063', '神奈川県 藤沢市 鵠沼海岸 251-0037', '埼玉県 さいたま市浦和区 高砂 330-0063',
	'埼玉県 川口市 本町 332-0012', '千葉県 千葉市中央区 新町 260-0028', '千葉県 船橋市 本町 273-0005',
	'大阪府 大阪市北区 梅田 530-0001', '大阪府 大阪市中央区 難波 542-0076', '大阪府 堺市堺区 三国ヶ丘御幸通 590-0028',
	'京都府 京都市中京区 河原町 604-8005', '兵庫県 神戸市中央区 三宮町 650-0021', '愛知県 名古屋市中区 栄 460-0008',
	'愛知県 豊田市 若宮町 471-0026', '福岡県 福岡市博多区 博多駅前 812-0011', '北海道 札幌市中央区 大通西 060-0042',
	'宮城県 仙台市青葉区 一番町 980-0811', '広島県 広島市中区 八丁堀 730-0013', '静岡県 浜松市中区 砂山町 430-0926',
	'長崎県 長崎市 浜町 850-0853', '沖縄県 那覇市 久茂地 900-0015', '新潟県 新潟市中央区 万代 950-0088');

my @kanji_digit = qw(〇 一 二 三 四 五 六 七 八 九);

# ------------------------------------------------------------------
# --pool large: name and town pools of a realistic spread for large runs.
# The small pools above (110 family names, 60 given names, 30 towns, drawn
# uniformly) suit a few thousand people; at hundreds of thousands they
# make every name hundreds of namesakes and every town thousands of
# neighbours, far more than real customer bases (in Japan the commonest
# family name, 佐藤, is about 1.5 % of people, and there are about 120,000
# postal codes).  The large pools add family and given names composed of
# common parts (山+田 ヤマ+ダ Yama+da) and towns around each of the 30;
# the listed names stay the commonest, weighted 1/sqrt(rank).
# ------------------------------------------------------------------
my ($family_weights, $given_weights);
if ($pool eq 'large')
{
	my @fam_head = map { [ split / / ] } (
		'山 ヤマ Yama', '中 ナカ Naka', '高 タカ Taka', '小 コ Ko', '大 オオ Oo', '石 イシ Ishi',
		'松 マツ Matsu', '川 カワ Kawa', '上 ウエ Ue', '西 ニシ Nishi', '東 ヒガシ Higashi',
		'北 キタ Kita', '南 ミナミ Minami', '岡 オカ Oka', '藤 フジ Fuji', '吉 ヨシ Yoshi',
		'福 フク Fuku', '森 モリ Mori', '宮 ミヤ Miya', '竹 タケ Take', '浜 ハマ Hama',
		'長 ナガ Naga', '平 ヒラ Hira', '今 イマ Ima', '古 フル Furu', '金 カネ Kane', '青 アオ Ao',
		'黒 クロ Kuro', '赤 アカ Aka', '原 ハラ Hara', '水 ミズ Mizu', '池 イケ Ike', '前 マエ Mae',
		'桑 クワ Kuwa', '梅 ウメ Ume', '杉 スギ Sugi', '柳 ヤナギ Yanagi', '荒 アラ Ara', '岩 イワ Iwa',
		'星 ホシ Hoshi');
	my @fam_tail = map { [ split / / ] } (
		'田 ダ da', '村 ムラ mura', '本 モト moto', '川 カワ kawa', '野 ノ no', '島 シマ shima',
		'崎 ザキ zaki', '井 イ i', '口 グチ guchi', '山 ヤマ yama', '沢 サワ sawa', '原 ハラ hara',
		'木 キ ki', '部 ベ be', '谷 タニ tani', '内 ウチ uchi', '尾 オ o', '橋 ハシ hashi',
		'浦 ウラ ura', '森 モリ mori', '坂 サカ saka', '塚 ツカ tsuka', '瀬 セ se', '江 エ e',
		'城 シロ shiro');
	my @giv_head = map { [ split / / ] } (
		'健 ケン Ken', '翔 ショウ Shou', '大 ダイ Dai', '拓 タク Taku', '直 ナオ Nao', '浩 コウ Kou',
		'隆 タカ Taka', '雄 ユウ Yuu', '和 カズ Kazu', '達 タツ Tatsu', '博 ヒロ Hiro', '智 トモ Tomo',
		'正 マサ Masa', '秀 ヒデ Hide', '孝 タカ Taka', '義 ヨシ Yoshi', '信 ノブ Nobu', '光 ミツ Mitsu',
		'俊 トシ Toshi', '英 ヒデ Hide', '康 ヤス Yasu', '清 キヨ Kiyo', '美 ミ Mi', '裕 ユウ Yuu',
		'恵 ケイ Kei', '由 ユ Yu', '真 マ Ma', '千 チ Chi', '久 ク Ku', '明 アキ Aki', '奈 ナ Na',
		'香 カ Ka', '沙 サ Sa', '理 リ Ri', '彩 アヤ Aya', '陽 ヨウ You', '涼 リョウ Ryou', '早 サ Sa');
	my @giv_tail = map { [ split / / ] } (
		'太 タ ta', '一 イチ ichi', '介 スケ suke', '也 ヤ ya', '樹 キ ki', '郎 ロウ rou', '人 ト to',
		'平 ヘイ hei', '司 ジ ji', '彦 ヒコ hiko', '之 ユキ yuki', '斗 ト to', '子 コ ko', '美 ミ mi',
		'香 カ ka', '恵 エ e', '奈 ナ na', '代 ヨ yo', '里 リ ri', '菜 ナ na', '穂 ホ ho', '乃 ノ no');
	my @fam_more = compose_names(\@fam_head, \@fam_tail, \@family);
	my @giv_more = compose_names(\@giv_head, \@giv_tail, \@given);
	# the listed names carry 40 % (family) and 10 % (given) of people
	$family_weights = weights_of(scalar(@family), 0.4, scalar(@fam_more));
	$given_weights = weights_of(scalar(@given), 0.1, scalar(@giv_more));
	push @family, @fam_more;
	push @given, @giv_more;
	# towns: 40 around each listed town, their own postal codes
	my @quarter = qw(東 西 南 北 中央 本町 新町 旭町 栄町 緑町 若葉 桜台 宮前 台町 元町 港町 寿町 幸町 柳町 朝日町);
	my @more_towns;
	for my $t (@towns)
	{
		my ($pref, $city, $town, $code) = @$t;
		my ($first, $second) = split /-/, $code;
		for my $k (1 .. 40)
		{
			my $name = $town . $quarter[ $k % @quarter ] . ($k > @quarter ? '二区' : '');
			push @more_towns, [ $pref, $city, $name, sprintf('%s-%04d', $first, ($second + 97 * $k) % 10000) ];
		}
	}
	push @towns, @more_towns;
}

# names made of a head and a tail part (kanji, kana and romaji joined),
# leaving out a part twice and the names already listed
sub compose_names
{
	my ($heads, $tails, $listed) = @_;
	my %seen = map { $_->[0] => 1 } @$listed;
	my @names;
	for my $h (@$heads)
	{
		for my $t (@$tails)
		{
			my $kanji = $h->[0] . $t->[0];
			next if $h->[0] eq $t->[0] || $seen{$kanji}++;
			push @names, [ $kanji, $h->[1] . $t->[1], $h->[2] . $t->[2] ];
		}
	}
	return @names;
}

# cumulative weights: $listed names weighted 1/sqrt(rank) with $share of
# the total, then $more names of equal weight
sub weights_of
{
	my ($listed, $share, $more) = @_;
	my @w;
	my $sum = 0;
	$sum += 1 / sqrt($_) for 1 .. $listed;
	push @w, $share / $sum / sqrt($_) for 1 .. $listed;
	push @w, (1 - $share) / $more for 1 .. $more;
	my $acc = 0;
	return [ map { $acc += $_ } @w ];
}

# an element of @list, by the cumulative weights $cum (undef: uniform)
sub pick_weighted
{
	my ($cum, @list) = @_;
	return pick(@list) unless $cum;
	my $x = rand() * $cum->[-1];
	my ($lo, $hi) = (0, $#list);
	while ($lo < $hi)
	{
		my $mid = int(($lo + $hi) / 2);
		if ($cum->[$mid] < $x) { $lo = $mid + 1; }
		else { $hi = $mid; }
	}
	return $list[$lo];
}

sub pick { return $_[ int(rand(@_)) ]; }
sub chance { return rand() < $_[0]; }

sub fullwidth_digits
{
	my ($s) = @_;
	$s =~ tr/0-9\-+()/０-９－＋（）/;
	return $s;
}

sub hiragana
{
	my ($s) = @_;
	$s =~ s/([\x{30A1}-\x{30F6}])/chr(ord($1) - 0x60)/ge;
	return $s;
}

my %half;
{
	my $full = 'アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンァィゥェォャュョッー';
	my $halfw = 'ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｧｨｩｪｫｬｭｮｯｰ';
	@half{ split //, $full } = split //, $halfw;
	$half{"\x{3099}"} = 'ﾞ';
	$half{"\x{309A}"} = 'ﾟ';
}

sub halfwidth
{
	my ($s) = @_;
	return join '', map { $half{$_} // $_ } split //, NFD($s);
}

# a long-vowel spelling of romaji written with the vowels doubled
sub romaji_variant
{
	my ($r) = @_;
	my $how = int(rand(3));
	$r =~ s/'//g if chance(0.5);
	return $r if $how == 0;
	if ($how == 1)
	{
		$r =~ s/(?<=[ou])u|(?<=o)o//gi;
		return $r;
	}
	$r =~ s/o[ou](?=[^aeiou]|$)/oh/gi;
	$r =~ s/uu/u/gi;
	return $r;
}

# a typo: two neighbouring letters swapped or one replaced
sub typo
{
	my ($s) = @_;
	my @c = split //, $s;
	return $s if @c < 3;
	my $i = 1 + int(rand(@c - 2));
	if (chance(0.5))
	{
		@c[ $i, $i + 1 ] = @c[ $i + 1, $i ] if $i + 1 < @c;
	}
	elsif ($c[$i] =~ /[a-z]/)
	{
		$c[$i] = pick(split //, 'aeioukstnmr');
	}
	elsif ($c[$i] =~ /[\x{30A1}-\x{30F6}]/)
	{
		$c[$i] = chr(ord($c[$i]) + (chance(0.5) ? 2 : -2));
	}
	return join '', @c;
}

sub variant_kanji
{
	my ($s) = @_;
	$s =~ s/([高崎辺斎沢浜広桜島])/pick(@{ $variant{$1} })/ge;
	return $s;
}

sub phone_format
{
	my ($digits) = @_;		# national form, e.g. 09012345678 or 0312345678
	my ($a, $b, $c) = length($digits) == 11
	  ? (substr($digits, 0, 3), substr($digits, 3, 4), substr($digits, 7))
	  : (substr($digits, 0, 2), substr($digits, 2, 4), substr($digits, 6));
	my $how = int(rand(6));
	return "$a-$b-$c" if $how == 0;
	return $digits if $how == 1;
	return '+81 ' . substr($a, 1) . "-$b-$c" if $how == 2;
	return '+81' . substr($digits, 1) if $how == 3;
	return fullwidth_digits("$a-$b-$c") if $how == 4;
	return "($a) $b-$c";
}

sub address_format
{
	my ($town, $chome, $ban, $go) = @_;
	my $how = int(rand(5));
	return "$town${chome}丁目${ban}番${go}号" if $how == 0;
	return "$town$chome-$ban-$go" if $how == 1;
	return "$town$kanji_digit[$chome]丁目$ban-$go" if $how == 2;
	return $town . fullwidth_digits("$chome-$ban-$go") if $how == 3;
	return "$town${chome}丁目$ban-$go";
}

sub postal_format
{
	my ($code) = @_;
	my $how = int(rand(4));
	return $code if $how == 0;
	(my $plain = $code) =~ s/-//;
	return $plain if $how == 1;
	return "〒$code" if $how == 2;
	return fullwidth_digits($code);
}

sub date_typo
{
	my ($d) = @_;			# YYYY-MM-DD
	my ($y, $m, $dd) = split /-/, $d;
	return "$y-$dd-$m" if $dd <= 12 && $dd != $m && chance(0.5);
	my $dd2 = $dd + (chance(0.5) ? 1 : -1);
	$dd2 = 2 if $dd2 < 1;
	return sprintf('%s-%s-%02d', $y, $m, $dd2);
}

my %homophones;
push @{ $homophones{ $_->[1] } }, $_->[0] for @given;

# ------------------------------------------------------------------
# people: households share a family name, an address and a landline;
# namesakes copy another person's name
# ------------------------------------------------------------------
my @people;
my %used_mobile;
my $households = 0;
while (@people < $persons)
{
	$households++;
	my $fam = pick_weighted($family_weights, @family);
	my $town = pick(@towns);
	my @home = ($town, 1 + int(rand(5)), 1 + int(rand(30)), 1 + int(rand(20)));
	my $landline = sprintf('0%d%08d', 3 + int(rand(6)), int(rand(1e8)));
	my $size = chance(0.3) ? 2 + int(rand(3)) : 1;
	my %given_used;
	for (1 .. $size)
	{
		last if @people >= $persons;
		my $giv;
		do { $giv = pick_weighted($given_weights, @given) } while $given_used{ $giv->[1] }++;
		my $mobile;
		do { $mobile = sprintf('0%d0%08d', 7 + int(rand(3)), int(rand(1e8))) } while $used_mobile{$mobile}++;
		my $p = {
			id => scalar(@people) + 1, family => $fam, given => $giv, home => \@home,
			household => $households,
			landline => ($size > 1 || chance(0.3)) ? $landline : undef, mobile => $mobile,
			birth => sprintf('%04d-%02d-%02d', 1940 + int(rand(66)), 1 + int(rand(12)), 1 + int(rand(27))),
		};
		$p->{email} = lc(romaji_variant($giv->[2]) . '.' . romaji_variant($fam->[2]))
		  . int(rand(1000)) . '@' . pick('example.jp', 'mail.example.com', 'example.ne.jp')
		  if chance(0.8);
		$p->{email} =~ s/'//g if $p->{email};
		push @people, $p;
	}
}
# namesakes: 5% of people take the name of someone in another household
for my $p (@people)
{
	next unless chance(0.05);
	my $other = pick(@people);
	next if $other->{home} == $p->{home};
	$p->{family} = $other->{family};
	$p->{given} = $other->{given};
}

# ------------------------------------------------------------------
# records
# ------------------------------------------------------------------
sub field { return defined $_[0] ? $_[0] : '\N'; }

sub record
{
	my ($p, $source) = @_;
	my ($fam, $giv) = ($p->{family}, $p->{given});
	my %r = (source => $source);
	my $kf = $fam->[1];
	my $kg = $giv->[1];
	$kg = typo($kg) if chance(0.03);
	$kf = typo($kf) if chance(0.02);
	if ($source eq 'crm' || $source eq 'shop')
	{
		$r{family_name} = chance(0.25) ? variant_kanji($fam->[0]) : $fam->[0];
		$r{given_name} = chance(0.04) ? pick(@{ $homophones{ $giv->[1] } }) : $giv->[0];
		$r{family_name_kana} = $source eq 'crm' ? $kf : hiragana($kf);
		$r{given_name_kana} = $source eq 'crm' ? $kg : hiragana($kg);
		if (chance(0.1))
		{
			($r{family_name_kana}, $r{given_name_kana}) = (undef, undef);
		}
	}
	elsif ($source eq 'pos')
	{
		$r{family_name_kana} = halfwidth($kf);
		$r{given_name_kana} = halfwidth($kg);
	}
	if ($source eq 'shop' || $source eq 'web')
	{
		my ($rf, $rg) = (romaji_variant($fam->[2]), romaji_variant($giv->[2]));
		$rg = typo($rg) if chance(0.03);
		$rf = uc($rf) if chance(0.3);
		my $name = chance(0.5) ? "$rg $rf" : "$rf $rg";
		$name = lc($name) if chance(0.2);
		$r{name_romaji} = $name;
	}
	# which of birth date, phone, address and e-mail the source asks for;
	# every record has at least two of them
	my %has = (crm => [0.95, 0.9, 0.95, 0.4], shop => [0.8, 0.9, 0.95, 0.95],
		pos => [0.6, 0.98, 0.3, 0.2], web => [0.8, 0.8, 0.3, 0.95]);
	my @p = @{ $has{$source} };
	my @want;
	do { @want = map { chance($_) } @p } while (grep { $_ } @want) < 2;
	my ($wb, $wphone, $waddr, $wmail) = @want;
	$r{birth_date} = chance(0.03) ? date_typo($p->{birth}) : $p->{birth} if $wb;
	if ($wphone)
	{
		my $num = ($p->{landline} && chance(0.15)) ? $p->{landline} : $p->{mobile};
		$r{phone} = phone_format($num);
	}
	if ($waddr)
	{
		my ($town, @block) = @{ $p->{home} };
		$r{region} = $town->[0] unless chance(0.1);
		$r{locality} = $town->[1];
		$r{address_line1} = address_format($town->[2], @block);
		$r{postal_code} = postal_format($town->[3]) if $source ne 'crm' || chance(0.5);
	}
	$r{email} = chance(0.1) ? uc($p->{email}) : $p->{email} if $p->{email} && $wmail;
	return \%r;
}

for my $p (@people)
{
	my $n = 1 + int(rand(4));
	for my $k (1 .. $n)
	{
		my $r = record($p, pick('crm', 'shop', 'pos', 'web'));
		print join("\t", $p->{id}, $r->{source},
			map { field($r->{$_}) } qw(family_name given_name family_name_kana given_name_kana
			  name_romaji email phone birth_date postal_code region locality address_line1),
			$p->{household}), "\n";
	}
}
