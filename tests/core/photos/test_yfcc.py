"""core/photos/yfcc.py on a small file in YFCC100M's 25-column layout, plain and bz2."""

import bz2
import datetime

import pytest

from scenic_heatmap.core.photos import yfcc

BY_NC = "http%3A%2F%2Fcreativecommons.org%2Flicenses%2Fby-nc%2F2.0%2F"
BY_SA = "http%3A%2F%2Fcreativecommons.org%2Flicenses%2Fby-sa%2F2.0%2F"
UPLOAD_2016 = int(datetime.datetime(2016, 8, 1, 12, tzinfo=datetime.timezone.utc).timestamp())
UPLOAD_2015 = int(datetime.datetime(2015, 3, 1, 12, tzinfo=datetime.timezone.utc).timestamp())


OWNER, NICK, TAKEN = "12345678%40N00", "Anna+M%C3%BCller", "2016-07-30+18%3A04%3A11.0"


def row(n, photo_id, lon=16.37, lat=48.21, uploaded=UPLOAD_2016, accuracy=16, license_url=BY_NC, video=0,
        title="Stephansdom+bei+Nacht", owner=OWNER, nick=NICK, taken=TAKEN, image=None):  # fmt: skip
    image = image or f"http%3A%2F%2Ffarm1.staticflickr.com%2F1%2F{photo_id}_abc.jpg"
    cols = [str(n), str(photo_id), "abc123", owner, nick, taken, str(uploaded), "Canon+EOS+5D", title,
            "A+description", "vienna,night", "", "" if lon is None else str(lon), "" if lat is None else str(lat),
            str(accuracy), f"http%3A%2F%2Fwww.flickr.com%2Fphotos%2F{owner}%2F{photo_id}%2F",
            image, "Attribution-NonCommercial+License",
            license_url, "1", "1", "abc", "def", "jpg", str(video)]  # fmt: skip
    return "\t".join(cols)


LINES = [
    row(0, 1001),  # kept
    row(1, 1002, title="%3Cb%3Ebold%3C%2Fb%3E+%26+more"),  # kept, hostile title decoded as text
    row(2, 1003, lon=2.35, lat=48.85),  # Paris: outside the extent
    row(3, 1004, uploaded=UPLOAD_2015),  # before the dates
    row(4, 1005, accuracy=11),  # below the accuracy
    row(5, 1006, video=1),  # a video
    row(6, 1007, license_url=BY_SA),  # another licence
    row(7, 1008, lon=None, lat=None),  # not geotagged
    "8\tonly\tfour\tcolumns",  # malformed
    row(9, 1009).replace("\t16\t", "\tsixteen\t", 1),  # malformed accuracy
    "",
]
WANTED = yfcc.YfccFilter(
    bbox=(16.18, 48.11, 16.58, 48.33),
    start=datetime.date(2016, 6, 30),
    end=datetime.date(2017, 6, 30),
    date_field="upload",
    min_accuracy=16,
    licenses={2},
)


@pytest.mark.parametrize("compressed", [False, True])
def test_keeps_exactly_the_rows_inside_every_filter(tmp_path, compressed):
    text = ("\n".join(LINES) + "\n").encode()
    path = tmp_path / ("yfcc.bz2" if compressed else "yfcc.tsv")
    path.write_bytes(bz2.compress(text) if compressed else text)
    stats = yfcc.YfccStats()
    kept = list(yfcc.read(str(path), WANTED, stats))
    assert [r["photo_id"] for r in kept] == ["1001", "1002"]
    first = kept[0]
    assert first["owner"] == "12345678@N00" and first["owner_name"] == "Anna Müller"
    assert first["title"] == "Stephansdom bei Nacht" and kept[1]["title"] == "<b>bold</b> & more"
    assert first["taken"] == datetime.datetime(2016, 7, 30, 18, 4, 11)
    assert first["uploaded"] == datetime.datetime(2016, 8, 1, 12)
    assert first["license"] == "2" and first["geotag_accuracy"] == 16
    assert first["page_url"] == "http://www.flickr.com/photos/12345678@N00/1001/"
    assert (stats.outside, stats.out_of_dates, stats.low_accuracy, stats.videos) == (1, 1, 1, 1)
    assert (stats.other_license, stats.no_position, stats.malformed) == (1, 1, 2)
    assert stats.examples == [9, 10] and "2 malformed lines" in stats.describe()


def test_dates_by_taken_and_no_licence_filter(tmp_path):
    path = tmp_path / "yfcc.tsv"
    path.write_text("\n".join([row(0, 1, uploaded=UPLOAD_2015), row(1, 2, license_url=BY_SA)]) + "\n")
    wanted = yfcc.YfccFilter(start=datetime.date(2016, 7, 30), end=datetime.date(2016, 7, 30), date_field="taken")
    assert [r["photo_id"] for r in yfcc.read(str(path), wanted, yfcc.YfccStats())] == ["1", "2"]


def test_a_file_that_is_not_yfcc_is_refused_by_name(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(yfcc.YfccError, match="INPUT: none of the 2 lines has the YFCC100M layout"):
        list(yfcc.read(str(path), yfcc.YfccFilter(), yfcc.YfccStats()))
