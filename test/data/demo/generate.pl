#!/usr/bin/env perl
# test/data/demo/generate.pl: writes the generated part of the demo's sample
# data (records_generated.csv, consents_generated.csv) next to this script.
#
# The hand-written records.csv shows the hard cases one by one; this adds a
# few hundred records of made-up people as several sources would send them:
# the CRM writes old kanji forms and full addresses, the online shop new
# forms, hyphenated addresses and its own phone format, the store tills only
# a half-width kana reading and a phone number, the app romaji in Western
# order with the long vowels spelt any way.  Households share a landline and
# an address; namesakes share a name and nothing else.  Output is the same
# on every run (a fixed linear congruential generator, not Perl's rand).
use strict;
use warnings;
use utf8;
use Unicode::Normalize qw(NFD);
use File::Basename qw(dirname);

binmode STDOUT, ':encoding(UTF-8)';

my $seed = 20261203;
sub rnd { my ($n) = @_; $seed = ($seed * 1103515245 + 12345) % 2147483648; return int($seed / 65536) % $n; }
sub pick { my @list = @_; return $list[rnd(scalar @list)]; }

# family name: [CRM form, shop form, katakana, romaji spellings]
my @families = (
	['髙橋', '高橋', 'タカハシ', 'Takahashi'], ['山﨑', '山崎', 'ヤマザキ', 'Yamazaki'],
	['渡邊', '渡辺', 'ワタナベ', 'Watanabe'], ['齋藤', '斎藤', 'サイトウ', 'Saitou|Saito|Saitoh'],
	['佐藤', '佐藤', 'サトウ', 'Satou|Sato|Satoh'], ['鈴木', '鈴木', 'スズキ', 'Suzuki'],
	['伊藤', '伊藤', 'イトウ', 'Itou|Ito|Itoh'], ['中村', '中村', 'ナカムラ', 'Nakamura'],
	['小林', '小林', 'コバヤシ', 'Kobayashi'], ['加藤', '加藤', 'カトウ', 'Katou|Kato|Katoh'],
	['吉田', '吉田', 'ヨシダ', 'Yoshida'], ['山田', '山田', 'ヤマダ', 'Yamada'],
	['松本', '松本', 'マツモト', 'Matsumoto'], ['井上', '井上', 'イノウエ', 'Inoue'],
	['澤田', '沢田', 'サワダ', 'Sawada'], ['濱田', '浜田', 'ハマダ', 'Hamada'],
	['廣瀬', '広瀬', 'ヒロセ', 'Hirose'], ['大野', '大野', 'オオノ', 'Oono|Ono|Ohno'],
);
my @givens = (
	['太郎', 'タロウ', 'Tarou|Taro'], ['花子', 'ハナコ', 'Hanako'], ['健太', 'ケンタ', 'Kenta'],
	['美咲', 'ミサキ', 'Misaki'], ['翔', 'ショウ', 'Shou|Sho'], ['陽菜', 'ヒナ', 'Hina'],
	['大輔', 'ダイスケ', 'Daisuke'], ['由美', 'ユミ', 'Yumi'], ['直樹', 'ナオキ', 'Naoki'],
	['愛', 'アイ', 'Ai'], ['拓也', 'タクヤ', 'Takuya'], ['優子', 'ユウコ', 'Yuuko|Yuko'],
	['誠', 'マコト', 'Makoto'], ['恵', 'メグミ', 'Megumi'], ['蓮', 'レン', 'Ren'],
	['結衣', 'ユイ', 'Yui'], ['雄一', 'ユウイチ', 'Yuuichi|Yuichi'], ['純一', 'ジュンイチ', 'Junichi'],
);
# prefecture, city, town, postal code prefix
my @places = (
	['東京都', '渋谷区', '神宮前', '150'], ['東京都', '世田谷区', '三軒茶屋', '154'],
	['大阪府', '大阪市北区', '梅田', '530'], ['愛知県', '名古屋市中区', '栄', '460'],
	['福岡県', '福岡市中央区', '天神', '810'], ['北海道', '札幌市中央区', '大通西', '060'],
	['神奈川県', '横浜市西区', 'みなとみらい', '220'], ['京都府', '京都市左京区', '岩倉', '606'],
);
my @latin = (
	['Smith', 'Oliver|Olly'], ['García', 'José|Jose'], ['Müller', 'Lena'], ['Dubois', 'Chloé|Chloe'],
	['Brown', 'Emily|Emilie'], ['Rossi', 'Marco'], ['O\'Brien', 'Sean|Seán'], ['Nguyen', 'Linh'],
);

my @kanji_digits = qw(〇 一 二 三 四 五 六 七 八 九);
my $halfwidth = {};
{
	my $full = 'アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンァィゥェォャュョッー';
	my $half = 'ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｧｨｩｪｫｬｭｮｯｰ';
	@$halfwidth{split //, $full} = split //, $half;
	$halfwidth->{"\x{3099}"} = 'ﾞ';
	$halfwidth->{"\x{309A}"} = 'ﾟ';
}
sub to_halfwidth { return join '', map { $halfwidth->{$_} // $_ } split //, NFD($_[0]); }
sub to_hiragana { return join '', map { my $c = ord; ($c >= 0x30A1 && $c <= 0x30F6) ? chr($c - 0x60) : $_ } split //, $_[0]; }
sub to_fullwidth_digits { return join '', map { /[0-9]/ ? chr(ord($_) + 0xFEE0) : $_ eq '-' ? '－' : $_ } split //, $_[0]; }
sub kanji_number { return join '', map { $kanji_digits[$_] } split //, $_[0]; }
sub csv { return join ',', map { my $v = $_ // ''; $v =~ /[",\n]/ ? '"' . ($v =~ s/"/""/gr) . '"' : $v } @_; }

sub romaji_spelling { my @forms = split /\|/, $_[0]; return $forms[rnd(scalar @forms)]; }
sub phone_format
{
	my ($digits) = @_;			# national form, e.g. 09012345678
	my ($a, $b, $c) = $digits =~ /^(0\d0)(\d{4})(\d{4})$/ ? ($1, $2, $3) : $digits =~ /^(0\d)(\d{4})(\d{4})$/;
	my $style = rnd(4);
	return "$a-$b-$c" if $style == 0;
	return $digits if $style == 1;
	return '+81 ' . substr($a, 1) . " $b $c" if $style == 2;
	return to_fullwidth_digits("$a-$b-$c");
}

my (@records, @consents, @people, %email_taken);
my %next_key = (crm => 10000, shop => 20000, pos => 50000, app => 90000);
my %prefix = (crm => 'C', shop => 'S', pos => 'P', app => 'A');

for my $n (1 .. 120)
{
	my %p;
	if ($n % 6 == 0)
	{
		my $l = pick(@latin);
		%p = (latin => 1, family => $l->[0], given => romaji_spelling($l->[1]), given_forms => $l->[1],
			  phone => sprintf('+44 7700 900%03d', rnd(1000)));
	}
	elsif ($n % 10 == 3 && grep { !$_->{latin} } @people)
	{
		# a household: the previous Japanese person's family, landline and address
		my ($h) = grep { !$_->{latin} } reverse @people;
		my $g = pick(@givens);
		%p = (%$h, given => $g, household => 1);
	}
	elsif ($n % 15 == 7 && grep { !$_->{latin} } @people)
	{
		# a namesake: same name as an earlier person, nothing else shared
		my $h = pick(grep { !$_->{latin} } @people);
		%p = (fam => $h->{fam}, given => $h->{given}, place => pick(@places),
			  phone => sprintf('0%d0%04d%04d', pick(7, 8, 9), 1000 + rnd(9000), rnd(10000)));
	}
	else
	{
		%p = (fam => pick(@families), given => pick(@givens), place => pick(@places),
			  phone => sprintf('0%d0%04d%04d', pick(7, 8, 9), 1000 + rnd(9000), rnd(10000)));
		$p{phone} = sprintf('03%04d%04d', 1000 + rnd(9000), rnd(10000)) if rnd(4) == 0;
	}
	$p{birth} = sprintf('%d-%02d-%02d', 1950 + rnd(55), 1 + rnd(12), 1 + rnd(28));
	unless ($p{latin})
	{
		$p{chome} //= 1 + rnd(5);
		$p{ban} //= 1 + rnd(20);
		$p{go} //= 1 + rnd(30);
		$p{postal} //= $p{place}[3] . sprintf('%04d', rnd(10000));
	}
	my $romaji_given = $p{latin} ? $p{given} : romaji_spelling($p{given}[2]);
	my $romaji_family = $p{latin} ? $p{family} : romaji_spelling($p{fam}[3]);
	$p{email} = lc("$romaji_given.$romaji_family") =~ s/[^a-z.]//gr . ($n % 2 ? '@example.jp' : '@example.com');
	push @people, \%p;
	$p{email} =~ s/@/$n@/ if $email_taken{$p{email}}++;

	# which sources know this person: always at least one
	my @sources = grep { rnd(100) < 55 } qw(crm shop pos app);
	@sources = (pick(qw(crm shop app))) unless @sources;
	for my $source (@sources)
	{
		my $key = $prefix{$source} . '-' . $next_key{$source}++;
		my %r = (source => $source, key => $key, country => $p{latin} ? 'GB' : 'JP');
		if ($p{latin})
		{
			my $given = romaji_spelling($p{given_forms});
			if ($source eq 'app') { $r{romaji} = "$given $p{family}"; }
			elsif ($source ne 'pos') { ($r{family}, $r{given}) = ($p{family}, $given); }
			$r{email} = $source eq 'shop' ? uc $p{email} : $p{email} unless $source eq 'pos';
			$r{phone} = rnd(2) ? $p{phone} : $p{phone} =~ s/ //gr if $source ne 'app' || rnd(2);
			$r{birth} = $p{birth} if $source eq 'crm' || $source eq 'shop';
		}
		elsif ($source eq 'crm')
		{
			@r{qw(family given family_kana given_kana email birth postal region locality)} =
				($p{fam}[0], $p{given}[0], $p{fam}[2], $p{given}[1], $p{email}, $p{birth},
				 substr($p{postal}, 0, 3) . '-' . substr($p{postal}, 3), @{$p{place}}[0, 1]);
			$r{address} = $p{place}[2] . kanji_number($p{chome}) . "丁目$p{ban}番$p{go}号";
			$r{phone} = phone_format($p{phone});
		}
		elsif ($source eq 'shop')
		{
			@r{qw(family given family_kana given_kana birth postal region locality)} =
				($p{fam}[1], $p{given}[0], to_hiragana($p{fam}[2]), to_hiragana($p{given}[1]), $p{birth},
				 $p{postal}, @{$p{place}}[0, 1]);
			$r{address} = $p{place}[2] . "$p{chome}-$p{ban}-$p{go}";
			$r{address} = to_fullwidth_digits($r{address}) if rnd(3) == 0;
			$r{email} = rnd(3) ? $p{email} : ucfirst $p{email};
			$r{phone} = phone_format($p{phone}) if rnd(3);
		}
		elsif ($source eq 'pos')
		{
			@r{qw(family_kana given_kana)} = (to_halfwidth($p{fam}[2]), to_halfwidth($p{given}[1]));
			$r{phone} = phone_format($p{phone});
		}
		else
		{
			$r{romaji} = romaji_spelling($p{given}[2]) . ' ' . romaji_spelling($p{fam}[3]);
			$r{email} = $p{email};
			$r{phone} = phone_format($p{phone}) if rnd(2);
		}
		push @records, \%r;

		# consent decisions as the sources collected them
		my $day = sprintf('2025-%02d-%02d 10:00+09', 1 + rnd(12), 1 + rnd(28));
		if ($source eq 'crm')
		{
			push @consents, [$source, $key, 'analytics', 'granted', 'consent', $day, ''] if rnd(10) < 8;
			push @consents, [$source, $key, 'email_marketing', 'granted', 'consent', $day, ''] if rnd(2);
		}
		elsif ($source eq 'shop' && rnd(4) == 0)
		{
			push @consents, [$source, $key, 'email_marketing', 'withdrawn', 'consent',
							 sprintf('2026-%02d-%02d 21:00+09', 1 + rnd(9), 1 + rnd(28)), ''];
		}
		elsif ($source eq 'app' && rnd(2))
		{
			my $until = sprintf('%d-%02d-%02d 10:00+09', 2026 + rnd(2), 1 + rnd(12), 1 + rnd(28));
			push @consents, [$source, $key, 'personalisation', 'granted', 'consent', $day, $until];
		}
	}
}

my $dir = dirname(__FILE__);
open my $out, '>:encoding(UTF-8)', "$dir/records_generated.csv" or die "records_generated.csv: $!";
print $out csv(qw(source_key source_record_key family_name given_name family_name_kana given_name_kana
				  name_romaji email phone birth_date postal_code region locality address_line1 country_code)), "\n";
print $out csv(@$_{qw(source key family given family_kana given_kana romaji email phone birth postal
					  region locality address country)}), "\n" for @records;
close $out;
open $out, '>:encoding(UTF-8)', "$dir/consents_generated.csv" or die "consents_generated.csv: $!";
print $out csv(qw(source_key source_record_key purpose decision legal_basis collected_at expires_at)), "\n";
print $out csv(@$_), "\n" for @consents;
close $out;
printf "%d records of %d people, %d consent events\n", scalar @records, scalar @people, scalar @consents;
