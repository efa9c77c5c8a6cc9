// The ONNX importer: models built here with the protobuf API (and one real
// model from ONNX's backend test data) go through import_model and must come
// out as the IR this file spells out, or fail with the error type and message
// it names.
#include "trtutils/onnx/importer.hpp"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "trtutils/ops/registry.hpp"

namespace trtutils::onnx {
namespace {

namespace fs = std::filesystem;
using ::onnx::AttributeProto;
using ::onnx::ModelProto;
using ::onnx::NodeProto;
using ::onnx::TensorProto;

const fs::path kBackendData = "/usr/include/onnx/backend/test/data/node";

// A registry of a few ops, so these tests do not depend on which ops the
// library has implemented so far.
const ops::OpRegistry& test_registry() {
  static const ops::OpRegistry registry = [] {
    ops::OpRegistry r;
    for (const char* op : {"Relu", "Add", "Identity", "Constant", "Dropout", "If", "Cast"}) {
      ops::OpSchema schema;
      schema.op_type = op;
      schema.infer = [](ops::InferContext&) {};
      schema.run_cpu = [](const ops::CpuContext&) { return std::vector<HostTensor>{}; };
      r.add(std::move(schema));
    }
    return r;
  }();
  return registry;
}

ImportOptions test_options() {
  ImportOptions options;
  options.registry = &test_registry();
  return options;
}

struct TempDir {
  fs::path path;
  TempDir() {
    static std::atomic<int> counter{0};
    path = fs::temp_directory_path() /
           ("trtutils_onnx_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

ModelProto empty_model(std::int64_t opset = 13) {
  ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("trtutils-test");
  auto* op = model.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  model.mutable_graph()->set_name("g");
  return model;
}

void add_input(ModelProto& model, const std::string& name, int elem_type,
               const std::vector<std::int64_t>& dims) {
  auto* in = model.mutable_graph()->add_input();
  in->set_name(name);
  auto* tensor_type = in->mutable_type()->mutable_tensor_type();
  tensor_type->set_elem_type(elem_type);
  auto* shape = tensor_type->mutable_shape();
  for (const std::int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

void add_output(ModelProto& model, const std::string& name, int elem_type = TensorProto::FLOAT) {
  auto* out = model.mutable_graph()->add_output();
  out->set_name(name);
  out->mutable_type()->mutable_tensor_type()->set_elem_type(elem_type);
}

NodeProto* add_node(ModelProto& model, const std::string& op_type,
                    const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
                    const std::string& name = {}) {
  auto* node = model.mutable_graph()->add_node();
  node->set_op_type(op_type);
  node->set_name(name);
  for (const auto& i : inputs) node->add_input(i);
  for (const auto& o : outputs) node->add_output(o);
  return node;
}

TensorProto float_tensor(const std::string& name, const std::vector<std::int64_t>& dims,
                         const std::vector<float>& values) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(TensorProto::FLOAT);
  for (const std::int64_t d : dims) t.add_dims(d);
  t.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4));
  return t;
}

ir::Graph import(const ModelProto& model, ImportOptions options = test_options()) {
  return import_model_from_bytes(model.SerializeAsString(), options);
}

template <typename E>
std::string error_of(const ModelProto& model, ImportOptions options = test_options()) {
  try {
    import(model, options);
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "import did not throw the expected error type";
  return {};
}

/// x[N, 3] + w (initializer, also listed as a graph input as IR < 4 did),
/// then Relu; a Dropout with an omitted optional output; attributes of every
/// plain kind on the Add.
ModelProto good_model() {
  ModelProto model = empty_model();
  model.mutable_opset_import(0)->set_domain("ai.onnx");
  auto* x = model.mutable_graph()->add_input();
  x->set_name("x");
  auto* x_type = x->mutable_type()->mutable_tensor_type();
  x_type->set_elem_type(TensorProto::FLOAT);
  x_type->mutable_shape()->add_dim()->set_dim_param("N");
  x_type->mutable_shape()->add_dim()->set_dim_value(3);
  x_type->mutable_shape()->add_dim();  // unknown, unnamed
  add_input(model, "w", TensorProto::FLOAT, {3, 1});
  *model.mutable_graph()->add_initializer() = float_tensor("w", {3, 1}, {1.5F, -2.0F, 0.25F});

  NodeProto* add = add_node(model, "Add", {"x", "w"}, {"sum"}, "the_add");
  auto attr = [&](const std::string& name, AttributeProto::AttributeType type) {
    AttributeProto* a = add->add_attribute();
    a->set_name(name);
    a->set_type(type);
    return a;
  };
  attr("i", AttributeProto::INT)->set_i(-7);
  attr("f", AttributeProto::FLOAT)->set_f(0.5F);
  attr("s", AttributeProto::STRING)->set_s("nearest");
  *attr("t", AttributeProto::TENSOR)->mutable_t() = float_tensor("", {2}, {3.0F, 4.0F});
  AttributeProto* ints = attr("ints", AttributeProto::INTS);
  ints->add_ints(1);
  ints->add_ints(-2);
  AttributeProto* floats = attr("floats", AttributeProto::FLOATS);
  floats->add_floats(0.25F);
  AttributeProto* strings = attr("strings", AttributeProto::STRINGS);
  strings->add_strings("a");
  strings->add_strings("b");

  add_node(model, "Relu", {"sum"}, {"y"});                       // unnamed: gets Relu_1
  add_node(model, "Dropout", {"y", "", ""}, {"z", ""}, "drop");  // omitted input/output
  add_output(model, "z");
  auto* info = model.mutable_graph()->add_value_info();
  info->set_name("sum");
  info->mutable_type()->mutable_tensor_type()->set_elem_type(TensorProto::FLOAT);
  info->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(-1);
  return model;
}

TEST(OnnxImporter, GoodModelImportsWithTypesShapesConstantsAndAttributes) {
  const ir::Graph g = import(good_model());
  EXPECT_EQ(g.name, "g");
  EXPECT_EQ(g.opset(), 13);
  EXPECT_EQ(g.opset_imports.count("ai.onnx"), 0U) << "ai.onnx is folded into \"\"";

  ASSERT_EQ(g.inputs().size(), 1U) << "w is an initializer, not a runtime input";
  const ir::Value* x = g.inputs()[0];
  EXPECT_EQ(x->name(), "x");
  EXPECT_EQ(x->dtype(), DType::kFloat32);
  ASSERT_TRUE(x->shape().has_value());
  ASSERT_EQ(x->shape()->size(), 3U);
  EXPECT_EQ((*x->shape())[0], ir::Dim::symbolic("N"));
  EXPECT_EQ((*x->shape())[1], ir::Dim(3));
  EXPECT_FALSE((*x->shape())[2].is_static());
  EXPECT_TRUE((*x->shape())[2].symbol.empty());

  const ir::Value* w = g.find_value("w");
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->is_constant());
  EXPECT_EQ(w->constant().shape(), (Shape{3, 1}));
  const auto wv = w->constant().values<float>();
  EXPECT_EQ(std::vector<float>(wv.begin(), wv.end()), (std::vector<float>{1.5F, -2.0F, 0.25F}));

  const ir::Value* sum = g.find_value("sum");
  ASSERT_NE(sum, nullptr);
  ASSERT_TRUE(sum->shape().has_value());
  ASSERT_EQ(sum->shape()->size(), 1U);
  EXPECT_FALSE((*sum->shape())[0].is_static()) << "dim_value -1 reads as unknown";

  const std::vector<ir::Node*> nodes = g.nodes();
  ASSERT_EQ(nodes.size(), 3U);
  EXPECT_EQ(nodes[0]->name(), "the_add");
  EXPECT_EQ(nodes[0]->domain(), "");
  EXPECT_EQ(nodes[1]->name(), "Relu_1");
  EXPECT_EQ(nodes[1]->op_type(), "Relu");

  const ir::Attributes& a = nodes[0]->attributes();
  EXPECT_EQ(a.get_int("i"), -7);
  EXPECT_EQ(a.get_float("f"), 0.5F);
  EXPECT_EQ(a.get_string("s"), "nearest");
  EXPECT_EQ(a.get_ints("ints"), (std::vector<std::int64_t>{1, -2}));
  EXPECT_EQ(a.get_floats("floats"), (std::vector<float>{0.25F}));
  EXPECT_EQ(a.get_strings("strings"), (std::vector<std::string>{"a", "b"}));
  const HostTensor& t = a.get_tensor("t");
  EXPECT_EQ(t.shape(), (Shape{2}));
  EXPECT_EQ(t.values<float>()[1], 4.0F);

  const ir::Node* drop = nodes[2];
  ASSERT_EQ(drop->inputs().size(), 3U);
  EXPECT_EQ(drop->input(0)->name(), "y");
  EXPECT_EQ(drop->input(1), nullptr);
  EXPECT_EQ(drop->input(2), nullptr);
  ASSERT_EQ(drop->outputs().size(), 2U) << "omitted outputs keep their slot";
  EXPECT_EQ(drop->output(0)->name(), "z");
  EXPECT_EQ(drop->output(1), nullptr);

  ASSERT_EQ(g.outputs().size(), 1U);
  EXPECT_EQ(g.outputs()[0]->name(), "z");
  EXPECT_EQ(g.outputs()[0]->dtype(), DType::kFloat32);
}

TEST(OnnxImporter, NodesOutOfOrderAreSorted) {
  ModelProto model = empty_model();
  add_input(model, "x", TensorProto::FLOAT, {2});
  add_node(model, "Relu", {"a"}, {"b"}, "second");
  add_node(model, "Relu", {"x"}, {"a"}, "first");
  add_output(model, "b");
  const ir::Graph g = import(model);
  ASSERT_EQ(g.node_count(), 2U);
  EXPECT_EQ(g.nodes()[0]->name(), "first");
  EXPECT_EQ(g.nodes()[1]->name(), "second");
}

TEST(OnnxImporter, BackendReluModelAndItsTestDataRead) {
  const fs::path dir = kBackendData / "test_relu";
  const ir::Graph g = import_model(dir / "model.onnx", test_options());
  ASSERT_EQ(g.inputs().size(), 1U);
  EXPECT_EQ(g.inputs()[0]->dtype(), DType::kFloat32);
  EXPECT_EQ(*g.inputs()[0]->shape(), ir::from_static({3, 4, 5}));
  ASSERT_EQ(g.node_count(), 1U);
  EXPECT_EQ(g.nodes()[0]->op_type(), "Relu");

  const HostTensor input = read_tensor_proto(dir / "test_data_set_0" / "input_0.pb");
  const NamedTensor output = read_named_tensor_proto(dir / "test_data_set_0" / "output_0.pb");
  EXPECT_EQ(output.name, g.outputs()[0]->name());
  ASSERT_EQ(input.shape(), (Shape{3, 4, 5}));
  ASSERT_EQ(output.tensor.shape(), (Shape{3, 4, 5}));
  // The stored output is relu(input): an independent check that both files
  // were decoded element for element.
  const auto in = input.values<float>();
  const auto out = output.tensor.values<float>();
  bool has_negative = false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    has_negative |= in[i] < 0;
    EXPECT_EQ(out[i], in[i] > 0 ? in[i] : 0.0F) << i;
  }
  EXPECT_TRUE(has_negative);
}

// --- files that are not (whole) ONNX models ---------------------------------

TEST(OnnxImporter, TruncatedFileIsAFileErrorNamingIt) {
  TempDir tmp;
  const std::string bytes = read_bytes(kBackendData / "test_relu" / "model.onnx");
  ASSERT_GT(bytes.size(), 20U);
  const fs::path half = tmp.path / "half.onnx";
  write_file(half, bytes.substr(0, bytes.size() / 2));
  try {
    import_model(half, test_options());
    FAIL() << "a truncated model imported";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("half.onnx"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not an ONNX model"), std::string::npos) << e.what();
  }
}

TEST(OnnxImporter, EmptyFileIsAFileError) {
  TempDir tmp;
  write_file(tmp.path / "empty.onnx", "");
  try {
    import_model(tmp.path / "empty.onnx", test_options());
    FAIL();
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("empty.onnx"), std::string::npos) << e.what();
  }
}

TEST(OnnxImporter, MissingFileIsAFileError) {
  EXPECT_THROW(import_model("/nonexistent/model.onnx", test_options()), FileError);
}

TEST(OnnxImporter, PngHeaderIsAFileError) {
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0", 33);
  EXPECT_THROW(import_model_from_bytes(png, test_options()), FileError);
}

TEST(OnnxImporter, RandomBytesAreAFileError) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 50; ++trial) {
    std::string bytes(64 + trial, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
    EXPECT_THROW(import_model_from_bytes(bytes, test_options()), FileError) << "trial " << trial;
  }
}

TEST(OnnxImporter, AnotherProtobufMessageIsNotAModel) {
  // A TensorProto parses as a ModelProto with neither ir_version nor graph.
  const std::string bytes = float_tensor("t", {1}, {1.0F}).SerializeAsString();
  EXPECT_THROW(import_model_from_bytes(bytes, test_options()), FileError);
}

// --- malformed graphs ---------------------------------------------------------

TEST(OnnxImporter, MissingInitializerIsAModelErrorNamingValueAndNode) {
  ModelProto model = empty_model();
  add_input(model, "x", TensorProto::FLOAT, {2});
  add_node(model, "Add", {"x", "bias"}, {"y"}, "add_bias");
  add_output(model, "y");
  const std::string message = error_of<ModelError>(model);
  EXPECT_NE(message.find("'bias'"), std::string::npos) << message;
  EXPECT_NE(message.find("add_bias"), std::string::npos) << message;
}

TEST(OnnxImporter, CycleIsAModelErrorNamingTheNodes) {
  ModelProto model = empty_model();
  add_input(model, "x", TensorProto::FLOAT, {2});
  add_node(model, "Add", {"x", "b"}, {"a"}, "loop_a");
  add_node(model, "Relu", {"a"}, {"b"}, "loop_b");
  add_output(model, "b");
  const std::string message = error_of<ModelError>(model);
  EXPECT_NE(message.find("cycle"), std::string::npos) << message;
  EXPECT_NE(message.find("loop_a"), std::string::npos) << message;
  EXPECT_NE(message.find("loop_b"), std::string::npos) << message;
}

TEST(OnnxImporter, NodeOverwritingAGraphInputIsAModelError) {
  ModelProto model = empty_model();
  add_input(model, "x", TensorProto::FLOAT, {2});
  add_node(model, "Relu", {"x"}, {"x"}, "self");
  add_output(model, "x");
  const std::string message = error_of<ModelError>(model);
  EXPECT_NE(message.find("graph input"), std::string::npos) << message;
}

TEST(OnnxImporter, TwoProducersOfOneValueIsAModelError) {
  ModelProto model = empty_model();
  add_input(model, "x", TensorProto::FLOAT, {2});
  add_node(model, "Relu", {"x"}, {"y"}, "one");
  add_node(model, "Relu", {"x"}, {"y"}, "two");
  add_output(model, "y");
  const std::string message = error_of<ModelError>(model);
  EXPECT_NE(message.find("'one'"), std::string::npos) << message;
  EXPECT_NE(message.find("'two'"), std::string::npos) << message;
}

// --- the support check --------------------------------------------------------

TEST(OnnxImporter, UnknownOpIsUnsupported) {
  ModelProto model = empty_model();
  add_input(model, "x", TensorProto::FLOAT, {2});
  add_node(model, "FancyOp", {"x"}, {"y"}, "fancy");
  add_output(model, "y");
  const std::string message = error_of<UnsupportedError>(model);
  EXPECT_NE(message.find("node 'fancy' (FancyOp)"), std::string::npos) << message;
}

TEST(OnnxImporter, AllUnsupportedThingsAreListedInOneError) {
  ModelProto model = empty_model(/*opset=*/18);
  add_input(model, "x", TensorProto::FLOAT, {2});
  add_input(model, "names", TensorProto::STRING, {2});
  add_node(model, "FancyOp", {"x"}, {"a"}, "fancy");
  NodeProto* custom = add_node(model, "Gadget", {"a"}, {"b"}, "gadget");
  custom->set_domain("com.example");
  NodeProto* branch = add_node(model, "If", {"x"}, {"y"}, "branch");
  AttributeProto* then_branch = branch->add_attribute();
  then_branch->set_name("then_branch");
  then_branch->set_type(AttributeProto::GRAPH);
  then_branch->mutable_g()->set_name("then");
  add_output(model, "b");
  add_output(model, "y");
  const std::string message = error_of<UnsupportedError>(model);
  EXPECT_NE(message.find("uses 5 things"), std::string::npos) << message;
  EXPECT_NE(message.find("node 'fancy' (FancyOp)"), std::string::npos) << message;
  EXPECT_NE(message.find("node 'gadget' (com.example::Gadget)"), std::string::npos) << message;
  EXPECT_NE(message.find("'then_branch' is a GRAPH"), std::string::npos) << message;
  EXPECT_NE(message.find("graph input 'names' has dtype STRING"), std::string::npos) << message;
  EXPECT_NE(message.find("opset 18"), std::string::npos) << message;
}

TEST(OnnxImporter, SupportCheckCanBeTurnedOff) {
  ModelProto model = empty_model(/*opset=*/18);
  add_input(model, "x", TensorProto::FLOAT, {2});
  add_node(model, "FancyOp", {"x"}, {"y"}, "fancy");
  add_output(model, "y");
  ImportOptions options = test_options();
  options.check_support = false;
  const ir::Graph g = import(model, options);
  EXPECT_EQ(g.nodes()[0]->op_type(), "FancyOp");
  EXPECT_EQ(g.opset(), 18);
}

TEST(OnnxImporter, InitializerOfAnUnsupportedDtypeFailsEvenWithoutTheSupportCheck) {
  ModelProto model = empty_model();
  TensorProto* words = model.mutable_graph()->add_initializer();
  words->set_name("words");
  words->set_data_type(TensorProto::STRING);
  words->add_dims(1);
  words->add_string_data("hello");
  add_node(model, "Identity", {"words"}, {"y"}, "id");
  add_output(model, "y");
  ImportOptions options = test_options();
  options.check_support = false;
  const std::string message = error_of<UnsupportedError>(model, options);
  EXPECT_NE(message.find("initializer 'words' has dtype STRING"), std::string::npos) << message;
}

TEST(OnnxImporter, BuiltinRegistryIsUsedWhenNoneIsGiven) {
  ModelProto model = empty_model();
  add_input(model, "x", TensorProto::FLOAT, {2});
  add_node(model, "NoOpOfThisNameExists", {"x"}, {"y"}, "n");
  add_output(model, "y");
  EXPECT_THROW(import(model, ImportOptions{}), UnsupportedError);
}

// --- external data ------------------------------------------------------------

ModelProto external_model(const std::string& location, std::int64_t offset) {
  ModelProto model = empty_model();
  TensorProto* w = model.mutable_graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(TensorProto::FLOAT);
  w->add_dims(2);
  w->add_dims(2);
  w->set_data_location(TensorProto::EXTERNAL);
  auto* loc = w->add_external_data();
  loc->set_key("location");
  loc->set_value(location);
  auto* off = w->add_external_data();
  off->set_key("offset");
  off->set_value(std::to_string(offset));
  auto* len = w->add_external_data();
  len->set_key("length");
  len->set_value("16");
  add_node(model, "Identity", {"w"}, {"y"}, "id");
  add_output(model, "y");
  return model;
}

TEST(OnnxImporter, ExternalDataIsReadFromTheModelsFolder) {
  TempDir tmp;
  const std::vector<float> values{1.0F, -2.0F, 3.5F, 1e-3F};
  std::string data = "PADDING!";  // the tensor starts at offset 8
  data.append(reinterpret_cast<const char*>(values.data()), 16);
  write_file(tmp.path / "weights.bin", data);
  write_file(tmp.path / "model.onnx", external_model("weights.bin", 8).SerializeAsString());
  const ir::Graph g = import_model(tmp.path / "model.onnx", test_options());
  const HostTensor& w = g.find_value("w")->constant();
  EXPECT_EQ(w.shape(), (Shape{2, 2}));
  const auto v = w.values<float>();
  EXPECT_EQ(std::vector<float>(v.begin(), v.end()), values);
}

TEST(OnnxImporter, MissingExternalDataFileIsAFileErrorNamingFileAndTensor) {
  TempDir tmp;
  write_file(tmp.path / "model.onnx", external_model("gone.bin", 0).SerializeAsString());
  try {
    import_model(tmp.path / "model.onnx", test_options());
    FAIL();
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("gone.bin"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("initializer 'w'"), std::string::npos) << e.what();
  }
}

TEST(OnnxImporter, ShortExternalDataFileIsAFileError) {
  TempDir tmp;
  write_file(tmp.path / "weights.bin", std::string(12, '\0'));
  write_file(tmp.path / "model.onnx", external_model("weights.bin", 0).SerializeAsString());
  EXPECT_THROW(import_model(tmp.path / "model.onnx", test_options()), FileError);
}

TEST(OnnxImporter, ExternalDataOutsideTheModelsFolderIsRefused) {
  TempDir tmp;
  fs::create_directories(tmp.path / "models");
  write_file(tmp.path / "secret.bin", std::string(16, 'x'));
  const std::vector<std::string> locations{"../secret.bin", (tmp.path / "secret.bin").string(),
                                           "sub/../../secret.bin"};
  for (const std::string& location : locations) {
    write_file(tmp.path / "models" / "model.onnx", external_model(location, 0).SerializeAsString());
    try {
      import_model(tmp.path / "models" / "model.onnx", test_options());
      FAIL() << location << " was read";
    } catch (const ModelError& e) {
      EXPECT_NE(std::string(e.what()).find("initializer 'w'"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("model's folder"), std::string::npos) << e.what();
    }
  }
}

TEST(OnnxImporter, SymlinkOutOfTheModelsFolderIsRefused) {
  TempDir tmp;
  fs::create_directories(tmp.path / "models");
  write_file(tmp.path / "secret.bin", std::string(16, 'x'));
  fs::create_symlink(tmp.path / "secret.bin", tmp.path / "models" / "link.bin");
  write_file(tmp.path / "models" / "model.onnx", external_model("link.bin", 0).SerializeAsString());
  EXPECT_THROW(import_model(tmp.path / "models" / "model.onnx", test_options()), ModelError);
}

TEST(OnnxImporter, ExternalDataFromBytesNeedsAFolder) {
  const std::string bytes = external_model("weights.bin", 0).SerializeAsString();
  EXPECT_THROW(import_model_from_bytes(bytes, test_options()), ModelError);
}

// --- TensorProto decoding -----------------------------------------------------

TensorProto typed(int data_type, const std::vector<std::int64_t>& dims) {
  TensorProto t;
  t.set_name("t");
  t.set_data_type(data_type);
  for (const std::int64_t d : dims) t.add_dims(d);
  return t;
}

HostTensor decode(const TensorProto& t) { return parse_tensor_proto(t.SerializeAsString()); }

template <typename T>
std::vector<T> values_of(const HostTensor& t) {
  const auto v = t.values<T>();
  return {v.begin(), v.end()};
}

TEST(OnnxTensorProto, FloatData) {
  TensorProto t = typed(TensorProto::FLOAT, {3});
  for (const float v : {1.0F, -0.5F, 8.0F}) t.add_float_data(v);
  const HostTensor h = decode(t);
  EXPECT_EQ(h.dtype(), DType::kFloat32);
  EXPECT_EQ(values_of<float>(h), (std::vector<float>{1.0F, -0.5F, 8.0F}));
}

TEST(OnnxTensorProto, Int32DataForInt32Int8Uint8Bool) {
  TensorProto i32 = typed(TensorProto::INT32, {2});
  i32.add_int32_data(-100000);
  i32.add_int32_data(7);
  EXPECT_EQ(values_of<std::int32_t>(decode(i32)), (std::vector<std::int32_t>{-100000, 7}));

  TensorProto i8 = typed(TensorProto::INT8, {2});
  i8.add_int32_data(-128);
  i8.add_int32_data(127);
  EXPECT_EQ(values_of<std::int8_t>(decode(i8)), (std::vector<std::int8_t>{-128, 127}));

  TensorProto u8 = typed(TensorProto::UINT8, {2});
  u8.add_int32_data(0);
  u8.add_int32_data(255);
  EXPECT_EQ(values_of<std::uint8_t>(decode(u8)), (std::vector<std::uint8_t>{0, 255}));

  TensorProto b = typed(TensorProto::BOOL, {3});
  b.add_int32_data(1);
  b.add_int32_data(0);
  b.add_int32_data(1);
  EXPECT_EQ(values_of<bool>(decode(b)), (std::vector<bool>{true, false, true}));
}

TEST(OnnxTensorProto, Float16AndBFloat16AreBitPatternsInInt32Data) {
  TensorProto f16 = typed(TensorProto::FLOAT16, {3});
  f16.add_int32_data(0x3C00);  // 1.0
  f16.add_int32_data(0xC000);  // -2.0
  f16.add_int32_data(0x3800);  // 0.5
  const HostTensor h = decode(f16);
  ASSERT_EQ(h.dtype(), DType::kFloat16);
  const auto v = h.values<Half>();
  EXPECT_EQ(static_cast<float>(v[0]), 1.0F);
  EXPECT_EQ(static_cast<float>(v[1]), -2.0F);
  EXPECT_EQ(static_cast<float>(v[2]), 0.5F);

  TensorProto bf16 = typed(TensorProto::BFLOAT16, {2});
  bf16.add_int32_data(0x3F80);  // 1.0
  bf16.add_int32_data(0xC040);  // -3.0
  const HostTensor b = decode(bf16);
  ASSERT_EQ(b.dtype(), DType::kBFloat16);
  EXPECT_EQ(static_cast<float>(b.values<BFloat16>()[0]), 1.0F);
  EXPECT_EQ(static_cast<float>(b.values<BFloat16>()[1]), -3.0F);
}

TEST(OnnxTensorProto, Int64AndDoubleData) {
  TensorProto i64 = typed(TensorProto::INT64, {2});
  i64.add_int64_data(-(std::int64_t{1} << 40));
  i64.add_int64_data(3);
  EXPECT_EQ(values_of<std::int64_t>(decode(i64)),
            (std::vector<std::int64_t>{-(std::int64_t{1} << 40), 3}));

  TensorProto f64 = typed(TensorProto::DOUBLE, {1});
  f64.add_double_data(0.1);
  EXPECT_EQ(values_of<double>(decode(f64)), (std::vector<double>{0.1}));
}

TEST(OnnxTensorProto, RawDataIsLittleEndianBytes) {
  TensorProto t = typed(TensorProto::INT32, {2});
  t.set_raw_data(std::string("\x01\x00\x00\x00\xFE\xFF\xFF\xFF", 8));
  EXPECT_EQ(values_of<std::int32_t>(decode(t)), (std::vector<std::int32_t>{1, -2}));
  TensorProto b = typed(TensorProto::BOOL, {2});
  b.set_raw_data(std::string("\x00\x05", 2));  // any non-zero byte is true
  EXPECT_EQ(values_of<bool>(decode(b)), (std::vector<bool>{false, true}));
}

TEST(OnnxTensorProto, ScalarAndEmptyTensors) {
  TensorProto scalar = typed(TensorProto::FLOAT, {});
  scalar.add_float_data(2.5F);
  const HostTensor s = decode(scalar);
  EXPECT_EQ(s.shape(), Shape{});
  EXPECT_EQ(s.values<float>()[0], 2.5F);
  const HostTensor e = decode(typed(TensorProto::FLOAT, {0, 3}));
  EXPECT_EQ(e.shape(), (Shape{0, 3}));
  EXPECT_EQ(e.element_count(), 0);
}

TEST(OnnxTensorProto, SizeMismatchIsAModelErrorNamingTheTensor) {
  TensorProto raw = typed(TensorProto::FLOAT, {2, 3});
  raw.set_raw_data(std::string(20, '\0'));
  try {
    decode(raw);
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 't'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("24 bytes"), std::string::npos) << e.what();
  }
  TensorProto fields = typed(TensorProto::INT64, {4});
  fields.add_int64_data(1);
  EXPECT_THROW(decode(fields), ModelError);
  // Huge dims with no data must fail on the size check, not try to allocate.
  TensorProto huge = typed(TensorProto::FLOAT, {1 << 30, 1 << 30});
  EXPECT_THROW(decode(huge), ModelError);
  TensorProto negative = typed(TensorProto::FLOAT, {-1});
  EXPECT_THROW(decode(negative), ModelError);
}

TEST(OnnxTensorProto, DtypesOutsideTrtutilsAreUnsupportedNamingTheTensor) {
  for (const int data_type : std::vector<int>{
           TensorProto::STRING, TensorProto::UINT16, TensorProto::INT16, TensorProto::UINT32,
           TensorProto::UINT64, TensorProto::COMPLEX64, 17 /* FLOAT8E4M3FN in newer ONNX */}) {
    TensorProto t = typed(data_type, {1});
    t.set_raw_data(std::string(16, '\0'));
    try {
      decode(t);
      FAIL() << data_type;
    } catch (const UnsupportedError& e) {
      EXPECT_NE(std::string(e.what()).find("tensor 't'"), std::string::npos) << e.what();
    }
  }
}

TEST(OnnxTensorProto, BadFilesAreFileErrors) {
  TempDir tmp;
  write_file(tmp.path / "empty.pb", "");
  EXPECT_THROW(read_tensor_proto(tmp.path / "empty.pb"), FileError);
  const std::string bytes = read_bytes(kBackendData / "test_relu/test_data_set_0/input_0.pb");
  write_file(tmp.path / "half.pb", bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW(read_tensor_proto(tmp.path / "half.pb"), FileError);
  EXPECT_THROW(read_tensor_proto(tmp.path / "missing.pb"), FileError);
}

}  // namespace
}  // namespace trtutils::onnx

namespace trtutils::onnx {
namespace {

// ONNX's own backend test models are valid: each must import (support check
// off), or be refused only as unsupported (string tensors, sparse tensors),
// never as a broken file or graph.
TEST(OnnxImporter, EveryBackendTestModelImportsOrIsOnlyUnsupported) {
  ImportOptions options = test_options();
  options.check_support = false;
  int imported = 0;
  int unsupported = 0;
  for (const auto& suite : fs::directory_iterator(kBackendData.parent_path())) {
    for (const auto& test : fs::directory_iterator(suite.path())) {
      const fs::path model = test.path() / "model.onnx";
      if (!fs::exists(model)) continue;
      try {
        const ir::Graph g = import_model(model, options);
        EXPECT_FALSE(g.outputs().empty()) << model;
        ++imported;
      } catch (const UnsupportedError&) {
        ++unsupported;
      } catch (const Error& e) {
        ADD_FAILURE() << model << ": " << e.what();
      }
    }
  }
  EXPECT_GT(imported, 900) << imported << " imported, " << unsupported << " unsupported";
  std::printf("backend models: %d imported, %d unsupported\n", imported, unsupported);
}

}  // namespace
}  // namespace trtutils::onnx
