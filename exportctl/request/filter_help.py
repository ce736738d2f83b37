"""The filter grammar in brief, as every export command's --help shows it below its options.

Kept apart from the parser (`request/filters.py`, whose docstring is the full grammar) so that building a
command for --help or TAB completion does not load the parser and its value readers.
"""

GRAMMAR_HELP = """\
Filter expressions (repeat --filter; combine them with --junction and|or, default and):
  status=PAID               $is                status=PAID,FULFILLED       $in
  status!=CANCELED          $is_not            status!=CANCELED,CREATED    $not_in
  amount>1000               $more_than         amount<1000                 $less_than
  amount>=1000              $more_than_equal   amount<=1000                $less_than_equal
  created_at>2024-01-01     $after             created_at<2024-02-01T12:00Z $before
  created_at=-3d            $is_days_ago       created_at=+3d              $is_days_in_future
  created_at<-30d           $more_than_ago     created_at>-30d             $less_than_ago
  created_at>+7d            $more_than_future  created_at<+7d              $less_than_future
  email~@example.com        $contains          email!~test                 $not_contain
  code^WELCOME              $starts_with       code$OFF                    $ends_with
  metadata.tags#=3          $count             metadata.tags#<3            $count_less
  metadata.tags#>3          $count_more        metadata.region?            $has_value
  metadata.region!?         $is_unknown
On dates, -30d (or '30d ago') is 30 days ago and +7d is 7 days ahead.
Explicit form, any operator: FIELD:$operator:V1,V2, or FIELD:operator:V1,V2 without the $,
  e.g. amount:more_than_equal:1000  metadata.region:has_value
Values: comma-separated; "a, b" in double quotes or a\\,b keeps a comma; "" is the empty string.
Amounts are integer cents (1250, not 12.50). Dates are ISO 8601, UTC unless a zone is given.
Quote expressions in the shell: --filter 'amount>=1000'."""
