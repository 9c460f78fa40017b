(ns clj-wasi.files-test
  "The :files option: an in-memory tree (one Jimfs FileSystem per instance) preopened
  for the guest, read back by `wasm/files` and `run`. Driven by test/wasm/fileio.wasm,
  fs_shell.wasm (path operations given as arguments, each printing its errno) and
  sort_lines.wasm (sorts, shuffles with a getentropy seed, and counts the lines of
  DIR/in.txt), against the same operations on a disk directory and against Clojure
  reference implementations."
  (:require [clj-wasi.impl.files :as files]
            [clj-wasi.test-util :refer [thrown-data with-temp-dir]]
            [clj-wasi.wasm :as wasm]
            [clojure.java.io :as io]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (java.nio.file FileSystem Files LinkOption Path)
           (java.nio.file.attribute FileTime)
           (java.util Arrays)))

(def ^:private fileio (delay (wasm/module "test/wasm/fileio.wasm")))
(def ^:private fs-shell (delay (wasm/module "test/wasm/fs_shell.wasm")))
(def ^:private sort-lines (delay (wasm/module "test/wasm/sort_lines.wasm")))
(def ^:private hello (delay (wasm/module "test/wasm/hello.wasm")))

(defn- shell
  "Runs fs_shell OPS; the output lines and the run."
  [ops opts]
  (let [res (wasm/run @fs-shell (assoc opts :args (vec ops)))]
    (assoc res :lines (str/split-lines (:out res)))))

(defn- bytes= [a b] (Arrays/equals ^bytes a ^bytes b))

(deftest fileio-on-a-virtual-tree
  (let [res (wasm/run @fileio {:args ["/data"]
                               :files {"/data/in.txt" "hello"
                                       "/data/bytes.bin" (byte-array [0 1 2 -1])
                                       "/data/empty/" {}}
                               :files-as :bytes})]
    (is (= 0 (:exit res)) (:err res))
    (is (= (str "written by wasm\nin: hello"
                "entry: bytes.bin\nentry: empty\nentry: in.txt\nentry: out.txt\n")
           (:out res)))
    (is (= ["/data/bytes.bin" "/data/empty/" "/data/in.txt" "/data/out.txt"] (keys (:files res))))
    (is (bytes= (byte-array [0 1 2 -1]) (get-in res [:files "/data/bytes.bin"])))
    (is (= "written by wasm\n" (String. ^bytes (get-in res [:files "/data/out.txt"]) "UTF-8")))
    (is (= {} (get-in res [:files "/data/empty/"]))))
  (testing "a directory below the preopen, and an empty preopen"
    (let [res (wasm/run @fileio {:args ["/data/sub"] :files {"/data/sub/" {} "/other/" {}}})]
      (is (= 0 (:exit res)) (:err res))
      (is (= {"/data/sub/out.txt" "written by wasm\n" "/other/" {}} (:files res)))))
  (testing "a path outside every preopen"
    (let [res (wasm/run @fileio {:args ["/elsewhere"] :files {"/data/in.txt" "x"}})]
      (is (= 1 (:exit res)))
      (is (= {"/data/in.txt" "x"} (:files res)) "the tree is returned whatever the exit code"))))

(deftest path-operations-on-a-virtual-tree
  (let [{:keys [lines files exit]}
        (shell ["readdir:." "open:in.txt" "stat:in.txt" "stat:dir" "mkdir:dir/new" "mkdir:dir/new"
                "create:dir/new/f" "rename:in.txt:dir/moved" "open:in.txt" "open:dir/moved"
                "symlink:dir/moved:link" "open:link" "lstat:link" "readlink:link" "stat:link"
                "link:dir/moved:hard" "stat:dir/moved" "write:hard" "open:dir/moved" "unlink:hard"
                "rmdir:dir" "rmdir:dir/gone" "rmdir:empty" "readdir:dir" "trunc:bin"
                "create:dir/new" "symlink:nowhere:dangling" "open:dangling" "times:dir/moved"]
               {:files {"/data/in.txt" "hello" "/data/dir/keep" "k" "/data/dir/gone/" {}
                        "/data/empty/" {} "/data/bin" (byte-array [1 2])}})]
    (is (= 0 exit))
    (is (= ["readdir:. success .,..,bin,dir,empty,in.txt,"
            "open:in.txt success hello"
            "stat:in.txt success type=4 size=5 nlink=1"
            "stat:dir success type=3 size=0 nlink=3"
            "mkdir:dir/new success"
            "mkdir:dir/new exist"
            "create:dir/new/f success"
            "rename:in.txt:dir/moved success"
            "open:in.txt noent "
            "open:dir/moved success hello"
            "symlink:dir/moved:link success"
            "open:link success hello"
            "lstat:link success type=7 size=0 nlink=1"
            "readlink:link success dir/moved"
            "stat:link success type=4 size=5 nlink=1"
            "link:dir/moved:hard success"
            "stat:dir/moved success type=4 size=5 nlink=2"
            "write:hard success"
            "open:dir/moved success pwned"
            "unlink:hard success"
            "rmdir:dir notempty"
            "rmdir:dir/gone success"
            "rmdir:empty success"
            "readdir:dir success .,..,keep,moved,new,"
            "trunc:bin success"
            "create:dir/new isdir"
            "symlink:nowhere:dangling success"
            "open:dangling noent "
            "times:dir/moved success"]
           (map #(str/replace % #"type=3 size=\d+" "type=3 size=0") lines)))
    (is (= {"/data/bin" ""
            "/data/dangling" {:symlink "nowhere"}
            "/data/dir/keep" "k"
            "/data/dir/moved" "pwned"
            "/data/dir/new/f" "data"
            "/data/link" {:symlink "dir/moved"}}
           files))))

(deftest the-sandbox-holds
  ;; the guest sees only its tree: "..", absolute paths and symlinks out of it fail, and
  ;; nothing it does reaches the disk (neither the working directory nor the host paths
  ;; it names)
  (with-temp-dir [host "clj-wasi-files"]
    (spit (io/file host "secret.txt") "secret")
    (let [outside (.getAbsolutePath (io/file host "secret.txt"))
          rel-outside (str (str/join "/" (repeat 12 "..")) outside)
          cwd-before (set (.list (io/file ".")))
          host-before (set (.list host))
          escapes ["open:../secret.txt" "open:.." "readdir:.." "open:/etc/passwd"
                   (str "open:" outside) (str "open:" rel-outside) (str "write:" rel-outside)
                   "open:../../../../../../.." "mkdir:../x" "open:up" "create:up"
                   (str "symlink:" outside ":abs") "open:up2" "open:chain" "link:../secret.txt:h"
                   "rename:in.txt:../in.txt" "readdir:d/../.." "create:d/../../probe"]
          {:keys [lines files]}
          (shell (concat ["symlink:../secret.txt:up" "symlink:d/../../secret.txt:up2"
                          "symlink:up:chain" "create:clj-wasi-probe" "mkdir:clj-wasi-probe-dir"]
                         escapes ["readdir:d/.."])
                 {:files {"/data/in.txt" "x" "/data/d/" {}}})
          by-op (into {} (map #(let [[op errno] (str/split % #" ")] [op errno]) lines))]
      (doseq [op escapes]
        (is (#{"perm" "noent"} (by-op op)) (str op " -> " (by-op op))))
      (is (= "success" (by-op "readdir:d/..")))
      (is (= "success" (by-op "create:clj-wasi-probe")))
      (is (not-any? #(str/includes? % "secret") (map #(str/replace % #"^\S+ " "") lines))
          "no content from outside")
      (is (= host-before (set (.list host))) "nothing appeared beside the host file")
      (is (= "secret" (slurp (io/file host "secret.txt"))))
      (is (= cwd-before (set (.list (io/file ".")))) "nothing appeared in the working directory")
      (is (not (.exists (io/file "/data/clj-wasi-probe"))))
      (is (= {"/data/chain" {:symlink "up"} "/data/clj-wasi-probe" "data" "/data/clj-wasi-probe-dir/" {}
              "/data/d/" {} "/data/in.txt" "x"
              "/data/up" {:symlink "../secret.txt"} "/data/up2" {:symlink "d/../../secret.txt"}}
             files)))))

(deftest composes-with-disk-preopens
  (with-temp-dir [host "clj-wasi-files"]
    (spit (io/file host "in.txt") "from disk")
    (let [opts {:preopens {"/disk" (str host)} :files {"/data/in.txt" "from memory"}}
          mem (wasm/run @fileio (assoc opts :args ["/data"]))
          disk (wasm/run @fileio (assoc opts :args ["/disk"]))]
      (is (str/includes? (:out mem) "in: from memory"))
      (is (str/includes? (:out disk) "in: from disk"))
      (is (= {"/data/in.txt" "from memory" "/data/out.txt" "written by wasm\n"} (:files mem)))
      (is (= {"/data/in.txt" "from memory"} (:files disk)) "each run starts from the given tree")
      (is (= #{"in.txt" "out.txt"} (set (.list host))))
      (testing "the disk preopens come first (fd 3), the :files roots after them, sorted"
        (is (= ["readdir:. success .,..,in.txt,out.txt,"]
               (:lines (shell ["readdir:."] (assoc opts :files {"/b/x" "" "/a/y" ""})))))
        (is (= ["readdir:. success .,..,y,"]
               (:lines (shell ["readdir:."] {:files {"/b/x" "" "/a/y" ""}}))))))))

(deftest close-releases-the-file-system
  (let [made (atom [])
        orig files/file-system]
    (with-redefs [files/file-system (fn [t] (let [fs (orig t)] (swap! made conj fs) fs))]
      (let [inst (wasm/load-wasi @fileio {:args ["/data"] :files {"/data/a" "1"}
                                          :stdout :discard})
            fs ^FileSystem (last @made)]
        ((wasm/fn inst "_start"))
        (is (= {"/data/a" "1" "/data/out.txt" "written by wasm\n"} (wasm/files inst)))
        (is (.isOpen fs))
        (wasm/close inst)
        (is (not (.isOpen fs)))
        (is (= :wasm/closed (:type (thrown-data #(wasm/files inst))))))
      (wasm/run @hello {:files {"/data/a" "1"}})
      (is (not (.isOpen ^FileSystem (last @made))) "run closes it")
      (is (= :wasm/missing-imports
             (:type (thrown-data #(wasm/load-wasi "test/wasm/host_imports.wasm" {:files {"/data/a" "1"}})))))
      (is (not (.isOpen ^FileSystem (last @made))) "a failed instantiation closes it")
      (is (= 3 (count @made))))
    (testing "no :files, no tree"
      (with-open [i (wasm/load-wasi @hello)]
        (is (nil? (wasm/files i))))
      (is (not (contains? (wasm/run @hello) :files))))))

(deftest files-as
  (let [bad (byte-array [0x61 -1 0x62])
        tree {"/d/bad" bad "/d/text" "héllo ☃" "/d/l" {:symlink "text"}}]
    (is (= {"/d/bad" "a\uFFFDb" "/d/l" {:symlink "text"} "/d/text" "héllo ☃"}
           (:files (wasm/run @hello {:files tree}))))
    (let [b (:files (wasm/run @hello {:files tree :files-as :bytes}))]
      (is (bytes= bad (b "/d/bad")))
      (is (bytes= (.getBytes "héllo ☃" "UTF-8") (b "/d/text")))
      (is (= {:symlink "text"} (b "/d/l"))))
    (with-open [i (wasm/load-wasi @hello {:files tree})]
      (is (= "a\uFFFDb" ((wasm/files i) "/d/bad")))
      (is (bytes= bad ((wasm/files i :bytes) "/d/bad"))))))

(deftest the-clock-sets-file-times
  (let [made (atom nil)
        orig files/file-system]
    (with-redefs [files/file-system (fn [t] (reset! made (orig t)))]
      (with-open [i (wasm/load-wasi @fileio {:args ["/data"] :files {"/data/in.txt" "x"}
                                             :clock 1234567890000000000 :stdout :discard})]
        ((wasm/fn i "_start"))
        (doseq [f ["/data/in.txt" "/data/out.txt" "/data"]]
          (is (= (FileTime/fromMillis 1234567890000)
                 (Files/getLastModifiedTime (.getPath ^FileSystem @made f (make-array String 0))
                                            (make-array LinkOption 0)))
              f))))))

(deftest bad-files-options
  (doseq [[files why] [[{"data/in.txt" "x"} #"not an absolute guest path"]
                       [{"/data/../in.txt" "x"} #"not an absolute guest path"]
                       [{"/data/./in.txt" "x"} #"not an absolute guest path"]
                       [{"/data//in.txt" "x"} #"not an absolute guest path"]
                       [{"/data/in\u0000.txt" "x"} #"not an absolute guest path"]
                       [{"/" {}} #"not an absolute guest path"]
                       [{:data "x"} #"not an absolute guest path"]
                       [{"/in.txt" "x"} #"directly under"]
                       [{"/data/in.txt" 42} #"is not a string, bytes"]
                       [{"/data/in.txt" {:a 1}} #"is not a string, bytes"]
                       [{"/data/in.txt" {:symlink ""}} #"is not a string, bytes"]
                       [{"/data/in.txt/" "x"} #"ends in"]
                       [{"/data/a" "x" "/data/a/b" "y"} #"other entries make it a directory"]
                       [{"/data/a" {:symlink "b"} "/data/a/b" "y"} #"other entries make it a directory"]
                       [{"/data/a" "x" "/data/a/" {}} #"other entries make it a directory"]
                       [["/data/a" "x"] #"not a map"]]]
    (let [e (try (wasm/run @hello {:files files}) nil
                 (catch clojure.lang.ExceptionInfo e e))]
      (is (= [:wasm/bad-option :files] ((juxt :type :key) (ex-data e))) (pr-str files))
      (is (re-find why (str (ex-message e))) (str (pr-str files) ": " (ex-message e)))))
  (is (= [:wasm/bad-option :files]
         ((juxt :type :key) (thrown-data #(wasm/run @hello {:files {"/tmp/x" ""} :preopens {"/tmp/" "/tmp"}})))))
  (is (= [:wasm/bad-option :files]
         ((juxt :type :key) (thrown-data #(wasm/run @hello {:files {"/tmp/x" ""}
                                                             :preopens [{:guest "/tmp" :host "/tmp"}]})))))
  (is (= [:wasm/bad-option :files-as]
         ((juxt :type :key) (thrown-data #(wasm/run @hello {:files {} :files-as :utf8})))))
  (is (= [:wasm/bad-option :files]
         ((juxt :type :key) (thrown-data #(wasm/load "test/wasm/numbers.wasm" {:files {}}))))
      "plain modules have no file system"))

;; --- properties -------------------------------------------------------------------

(def ^:private gen-tree
  "A valid :files map with one or two roots: files (dN/.../fN), empty directories (eN/)
  and symlinks (sN -> fN), string contents."
  (let [gen-dirs (gen/vector (gen/fmap #(str "d" %) (gen/choose 0 2)) 0 3)
        gen-root (gen/elements ["/data" "/r"])
        entry (gen/tuple gen-root gen-dirs (gen/choose 0 3)
                         (gen/frequency [[6 (gen/fmap #(vector :file %) gen/string)]
                                         [1 (gen/return [:dir])]
                                         [1 (gen/return [:link])]]))]
    (gen/fmap (fn [es]
                (into {} (for [[r dirs n [kind content]] es
                               :let [base (str/join "/" (cons r dirs))]]
                           (case kind
                             :file [(str base "/f" n) content]
                             :dir [(str base "/e" n "/") {}]
                             :link [(str base "/s" n) {:symlink (str "f" n)}]))))
              (gen/not-empty (gen/vector entry 1 8)))))

(defspec a-tree-comes-back-as-it-was-given 100
  (prop/for-all [tree gen-tree]
    (and (nil? (files/problem tree))
         (= tree (:files (wasm/run @hello {:files tree}))))))

(defn- split-lines-bytes
  "sort_lines's lines of `bs`: the pieces between \\n bytes, less an empty last one."
  [^bytes bs]
  (let [v (vec bs)
        pieces (loop [acc [] cur [] [b & more :as rest] v]
                 (cond (empty? rest) (conj acc cur)
                       (= 10 b) (recur (conj acc cur) [] more)
                       :else (recur acc (conj cur b) more)))]
    (if (empty? (peek pieces)) (pop pieces) pieces)))

(defn- unsigned-compare [a b]
  (Arrays/compareUnsigned (byte-array a) (byte-array b)))

(defn- joined [lines] (vec (mapcat #(conj (vec %) 10) lines)))

(defn- reference-sort-lines
  "What sort_lines writes, but for the shuffle: {\"sorted.txt\" bytes \"wc.txt\" string}."
  [^bytes in]
  (let [v (vec in)
        space? #{32 9 10 11 12 13}
        words (count (filter (fn [[a b]] (and (not (space? b)) (or (nil? a) (space? a))))
                             (map vector (cons nil v) v)))]
    {:sorted (joined (sort unsigned-compare (split-lines-bytes in)))
     :wc (format "%d %d %d\n" (count (filter #{10} v)) words (count v))}))

(def ^:private gen-input
  "Lines of arbitrary bytes, few distinct ones so duplicates and prefixes occur."
  (gen/let [lines (gen/vector (gen/vector (gen/frequency [[4 (gen/elements [97 98 32])]
                                                          [1 (gen/fmap unchecked-byte (gen/choose 0 255))]])
                                          0 6)
                              0 12)
            trailing gen/boolean]
    (let [body (vec (apply concat (interpose [10] lines)))]
      (byte-array (cond-> body (and trailing (seq lines)) (conj 10))))))

(defspec sort-lines-matches-clojure-and-is-deterministic 100
  (prop/for-all [in gen-input
                 seed gen/large-integer]
    (let [opts {:files {"/data/in.txt" in} :files-as :bytes :random seed :clock 0}
          a (wasm/run @sort-lines opts)
          b (wasm/run @sort-lines opts)
          fa (:files a)
          ref (reference-sort-lines in)
          shuffled (split-lines-bytes (fa "/data/out/shuffled.txt"))]
      (and (= 0 (:exit a)) (= "" (:err a))
           (= ["/data/in.txt" "/data/out/shuffled.txt" "/data/out/sorted.txt" "/data/out/wc.txt"]
              (keys fa))
           (= (vec in) (vec (fa "/data/in.txt")))
           (= (:sorted ref) (vec (fa "/data/out/sorted.txt")))
           (= (:wc ref) (String. ^bytes (fa "/data/out/wc.txt") "UTF-8"))
           ;; the shuffle is a permutation of the lines...
           (= (count (split-lines-bytes in)) (count shuffled))
           (= (:sorted ref) (joined (sort unsigned-compare shuffled)))
           ;; ...and the same one, byte for byte, for the same :random seed
           (= (keys fa) (keys (:files b)))
           (every? #(bytes= (fa %) ((:files b) %)) (keys fa))))))

(deftest the-seed-decides-the-shuffle
  (let [in (str/join "\n" (map str (range 40)))
        shuffle-of #(get-in (wasm/run @sort-lines {:files {"/data/in.txt" in} :random %})
                            [:files "/data/out/shuffled.txt"])]
    (is (= (shuffle-of 1) (shuffle-of 1)))
    (is (not= (shuffle-of 1) (shuffle-of 2)))
    (is (= (sort (str/split-lines in)) (sort (str/split-lines (shuffle-of 3)))))))

;; the same path operations on a disk directory and on an in-memory tree
(def ^:private gen-ops
  (let [p (gen/elements ["a" "b" "d" "d/a" "d/e" "e" "l" "l/a" "." ".." "d/../a" "a/"])
        one (gen/elements ["open" "opennf" "write" "create" "trunc" "stat" "lstat" "readlink"
                           "readdir" "mkdir" "rmdir" "unlink" "times"])
        ;; no "link": Jimfs links regular files only (a hard link to a symlink fails)
        two (gen/elements ["rename" "symlink"])]
    (gen/vector (gen/one-of [(gen/fmap (fn [[o a]] (str o ":" a)) (gen/tuple one p))
                             ;; a symlink target without a trailing "/": a java.nio Path
                             ;; (so a Jimfs link) drops it, a disk link keeps it on JDK 22+
                             (gen/fmap (fn [[o a b]]
                                         (str o ":" (if (= o "symlink") (str/replace a #"/$" "") a)
                                              ":" b))
                                       (gen/tuple two p p))])
                1 12)))

(def ^:private start-tree {"/data/a" "A" "/data/d/e" "E" "/data/l" {:symlink "d"}})

(defn- comparable-lines
  "fs_shell output with what a disk and Jimfs legitimately differ in made equal: the
  sizes of directories and symlinks, and the link counts of directories."
  [lines]
  (map #(-> %
            (str/replace #"type=3 size=\d+ nlink=\d+" "type=3 size=? nlink=?")
            (str/replace #"type=7 size=\d+" "type=7 size=?"))
       lines))

(defn- delete-tree!
  "Deletes `dir` and everything beneath it, never following a symlink (the guest may
  have made links to \".\" or \"..\", which file-seq would walk forever)."
  [^Path dir]
  (let [ps (with-open [s (Files/walk dir (make-array java.nio.file.FileVisitOption 0))]
             (vec (iterator-seq (.iterator s))))]
    (doseq [^Path p (rseq ps)] (Files/deleteIfExists p))))

(defspec path-operations-behave-as-on-disk 100
  (prop/for-all [ops gen-ops]
    (let [host (Files/createTempDirectory "clj-wasi-files-diff" (make-array java.nio.file.attribute.FileAttribute 0))]
      (try
      (let [d (.resolve host "data")]
        (Files/createDirectories (.resolve d "d") (make-array java.nio.file.attribute.FileAttribute 0))
        (spit (str d "/a") "A")
        (spit (str d "/d/e") "E")
        (Files/createSymbolicLink (.resolve d "l") (.getPath (.getFileSystem d) "d" (make-array String 0))
                                  (make-array java.nio.file.attribute.FileAttribute 0))
        (let [disk (shell ops {:preopens {"/data" (str d)}})
              mem (shell ops {:files start-tree})]
          (and (= (comparable-lines (:lines disk)) (comparable-lines (:lines mem)))
               (= (files/dir-tree d "/data" :string) (:files mem)))))
      (finally (delete-tree! host))))))
